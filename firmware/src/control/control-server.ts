// The node's local API. On the control socket (owner-only): status, peers, inbox, send, trace, sos
// and safe, for the `unibos` CLI. On loopback TCP (optional): health and Prometheus metrics only.

import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { FirmwareError } from '../firmware-error.ts';
import type { Device } from '../node/device.ts';
import { UNKNOWN_NODE, formatNodeId, parseNodeId, type TraceHop } from '@unibos/mesh-protocol';
import { controlSocketPath } from './control-socket.ts';
import { JsonApiServer, integerParam, type ApiHandler, type ApiReply } from './json-api-server.ts';

export interface ControlServerOptions {
  device: Device;
  dataDir: string;
  /** Loopback TCP port for /health and /metrics; null = none, 0 = any free port. */
  httpPort: number | null;
  logger: Logger;
  /** Adds a role's own metrics (a gateway's broker and uplink) to the node's registry. */
  metrics?: ((registry: Registry) => void) | undefined;
}

export interface ControlServer {
  socketPath: string;
  /** The bound health/metrics port, if any. */
  httpPort: number | null;
  close(): Promise<void>;
}

/** A text fits in a few hundred bytes; anything far bigger is a mistake or an attack. */
export const CONTROL_BODY_LIMIT = 16 * 1024;
/** Inbox messages per answer when the caller does not say. */
const INBOX_DEFAULT_LIMIT = 100;
const API_NAME = "the node's API";

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const socketPath = controlSocketPath(options.dataDir);
  await claimSocket(socketPath, options.dataDir);
  // Only the node's own user can reach the socket, so a failure's real message is shown to them.
  const api = new JsonApiServer({ routes: routes(options.device), bodyLimit: CONTROL_BODY_LIMIT, logger: options.logger, showInternal: true, apiName: API_NAME });
  try {
    await api.listen({ path: socketPath });
  } catch (err) {
    await api.close();
    // Another node claimed the socket between our check and our bind.
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw runningError(options.dataDir);
    throw err;
  }
  // The data folder is owner-only too; this keeps the socket private if the folder is ever opened up.
  chmodSync(socketPath, 0o600);

  let web: JsonApiServer | undefined;
  let httpPort: number | null = null;
  if (options.httpPort !== null) {
    // prom-client is loaded only by a node that serves metrics: a node with http.port off never pays for it.
    const { createNodeMetrics } = await import('./metrics.ts');
    const registry = createNodeMetrics(options.device);
    options.metrics?.(registry);
    // Any local user can reach loopback: internal messages stay in the node's log.
    web = new JsonApiServer({
      routes: {
        'GET /health': (_req, reply) => health(options.device, reply),
        'GET /metrics': async (_req, reply) => {
          reply.type(registry.contentType);
          return registry.metrics();
        },
      },
      bodyLimit: CONTROL_BODY_LIMIT,
      logger: options.logger,
      showInternal: false,
      apiName: API_NAME,
    });
    try {
      await web.listen({ host: '127.0.0.1', port: options.httpPort });
    } catch (err) {
      await Promise.all([api.close(), web.close()]);
      throw new FirmwareError('E_CONFIG', `cannot listen on 127.0.0.1:${options.httpPort} for health and metrics (${(err as Error).message}); set http.port (--http-port) to a free port or "off"`);
    }
    const address = web.server.address();
    httpPort = typeof address === 'object' && address ? address.port : null;
  }
  options.logger.info({ socket: socketPath, httpPort }, 'control API listening');
  return {
    socketPath,
    httpPort,
    close: async () => {
      await Promise.all([api.close(), web?.close()]);
    },
  };
}

function routes(device: Device): Record<string, ApiHandler> {
  return {
    'GET /health': (_req, reply) => health(device, reply),
    'GET /status': () => device.status(),
    'GET /peers': () => ({ self: device.status().nodeId, peers: device.peers.all() }),
    // Without `after`, the newest: the inbox only grows, and today's SOS must not hide behind
    // last month's chatter. With `after`, a reader pages forward from the last number it saw.
    'GET /inbox': (req) => {
      const after = integerParam(req.query, 'after', 0, Number.MAX_SAFE_INTEGER);
      const limit = integerParam(req.query, 'limit', 1, 1000) ?? INBOX_DEFAULT_LIMIT;
      return { messages: after === undefined ? device.inbox.latest(limit) : device.inbox.since(after, limit) };
    },
    'POST /send': (req, reply) => {
      const { text, to, private: isPrivate } = parseSendBody(req.body);
      if (isPrivate && to === undefined) throw new FirmwareError('E_BAD_REQUEST', 'a private message goes to one node: give "to"');
      const sent = isPrivate && to !== undefined ? device.sendPrivate(text, to) : device.sendText(text, to);
      reply.code(202);
      return sent;
    },
    // Answers when the trace does (seconds on a real mesh): the caller waits for the route or the timeout.
    'POST /trace': async (req) => {
      const { to, timeoutS } = parseTraceBody(req.body);
      return traceAnswer(device, to, timeoutS);
    },
    'POST /sos': (_req, reply) => {
      const raised = device.raiseSos();
      reply.code(202);
      return raised;
    },
    'POST /safe': (_req, reply) => {
      const safe = device.imSafe();
      reply.code(202);
      return safe;
    },
  };
}

const SEND_FIELDS = new Set(['text', 'to', 'private']);

/**
 * Parsed by hand rather than by a schema validator: Fastify's coerced types (`{"text": 5}` would be
 * sent as "5") and silently dropped unknown properties, and its messages did not name them.
 */
function parseSendBody(body: unknown): { text: string; to: number | undefined; private: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FirmwareError('E_BAD_REQUEST', 'the body must be a JSON object like {"text": "hello", "to": "!1a2b3c4d"}');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !SEND_FIELDS.has(k));
  if (unknown.length > 0) throw new FirmwareError('E_BAD_REQUEST', `unknown property ${unknown.map(quote).join(', ')}; a message has only "text", "to" and "private"`);
  const { text, to } = fields;
  const isPrivate = fields.private ?? false;
  if (typeof isPrivate !== 'boolean') throw new FirmwareError('E_BAD_REQUEST', `private must be true or false, not ${describe(isPrivate)}`);
  if (text === undefined) throw new FirmwareError('E_BAD_REQUEST', 'text is missing');
  if (typeof text !== 'string') throw new FirmwareError('E_BAD_REQUEST', `text must be a string, not ${describe(text)}`);
  if (to === undefined) return { text, to: undefined, private: isPrivate };
  if (typeof to !== 'string') throw new FirmwareError('E_BAD_REQUEST', `to must be a node id string such as "!1a2b3c4d", not ${describe(to)}`);
  const id = parseNodeId(to);
  if (id === null) throw new FirmwareError('E_BAD_REQUEST', `${quote(to)} is not a node id (write it as !1a2b3c4d)`);
  return { text, to: id, private: isPrivate };
}

const TRACE_FIELDS = new Set(['to', 'timeoutS']);
/** A trace waits this long unless told: a few hops each way, each with its ack and a retry. */
export const TRACE_DEFAULT_TIMEOUT_S = 60;
const TRACE_MAX_TIMEOUT_S = 600;

function parseTraceBody(body: unknown): { to: number; timeoutS: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FirmwareError('E_BAD_REQUEST', 'the body must be a JSON object like {"to": "!1a2b3c4d"}');
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !TRACE_FIELDS.has(k));
  if (unknown.length > 0) throw new FirmwareError('E_BAD_REQUEST', `unknown property ${unknown.map(quote).join(', ')}; a trace has only "to" and "timeoutS"`);
  const { to, timeoutS = TRACE_DEFAULT_TIMEOUT_S } = fields;
  if (typeof to !== 'string') throw new FirmwareError('E_BAD_REQUEST', `to must be a node id string such as "!1a2b3c4d", not ${describe(to)}`);
  const id = parseNodeId(to);
  if (id === null) throw new FirmwareError('E_BAD_REQUEST', `${quote(to)} is not a node id (write it as !1a2b3c4d)`);
  if (typeof timeoutS !== 'number' || !Number.isInteger(timeoutS) || timeoutS < 1 || timeoutS > TRACE_MAX_TIMEOUT_S) {
    throw new FirmwareError('E_BAD_REQUEST', `timeoutS must be a whole number of seconds from 1 to ${TRACE_MAX_TIMEOUT_S}`);
  }
  return { to: id, timeoutS };
}

/** A hop as the CLI prints it: the node's id, its name when known, and the SNR it heard the hop before at (null: unknown). */
interface TraceHopAnswer {
  node: string;
  name: string | null;
  snr: number | null;
}

/** The trace's answer, or `answered: false` when none came in time (not an error of the node's). */
async function traceAnswer(device: Device, to: number, timeoutS: number) {
  const self = formatNodeId(device.nodeId);
  const destination = formatNodeId(to);
  if (to === device.nodeId) throw new FirmwareError('E_BAD_REQUEST', `${destination} is this node: trace another one`);
  try {
    const r = await device.traces.trace(to, timeoutS * 1000);
    const names = new Map<number, string | null>(device.peers.all().map((p) => [p.nodeId, p.longName]));
    names.set(device.nodeId, device.name);
    const hops = (list: TraceHop[]): TraceHopAnswer[] =>
      list.map((h) => (h.node === UNKNOWN_NODE ? { node: '?', name: null, snr: h.snr ?? null } : { node: formatNodeId(h.node), name: names.get(h.node) ?? null, snr: h.snr ?? null }));
    return { self, destination, answered: true, timeoutS, towards: hops(r.towards), back: hops(r.back) };
  } catch (err) {
    if ((err as { code?: string }).code !== 'E_TRACE_TIMEOUT') throw err;
    return { self, destination, answered: false, timeoutS, towards: [], back: [] };
  }
}

/** Quoted and cut short: the value is echoed back in an error message. */
function quote(s: string): string {
  const q = JSON.stringify(s);
  return q.length > 42 ? `${q.slice(0, 40)}…"` : q;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function health(device: Device, reply: ApiReply): { status: string; radio: string } {
  const radio = device.status().radio.state;
  if (radio !== 'ready') reply.code(503);
  return { status: radio === 'ready' ? 'ok' : 'degraded', radio };
}

function runningError(dataDir: string): FirmwareError {
  return new FirmwareError('E_NODE_RUNNING', `a node is already running with data dir ${dataDir}`);
}

/** One node per data folder: a live socket means another node owns it; a dead one is left over. */
async function claimSocket(path: string, dataDir: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new FirmwareError('E_CONFIG', `${path} is in the way of the control socket and is not one; move it aside`);
  const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(undefined);
    });
    s.once('error', (err) => resolve(err));
  });
  if (!failure) throw runningError(dataDir);
  // Refused: nobody listens (a node that was killed left it). Anything else, such as EACCES from
  // another user's node, is not ours to delete.
  if (failure.code !== 'ECONNREFUSED') {
    throw new FirmwareError('E_NODE_RUNNING', `cannot tell whether a node is running with data dir ${dataDir} (${failure.code ?? failure.message} on ${path})`);
  }
  unlinkSync(path);
}
