// The node's local API. On the control socket (owner-only): status, peers, inbox, send, sos and
// safe, for the `unibos` CLI. On loopback TCP (optional): health and Prometheus metrics only.

import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { connect } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { FirmwareError } from '../firmware-error.ts';
import type { Device } from '../node/device.ts';
import { parseNodeId } from '@unibos/mesh-protocol';
import { controlSocketPath } from './control-socket.ts';
import { createNodeMetrics } from './metrics.ts';
import type { Registry } from 'prom-client';

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

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const socketPath = controlSocketPath(options.dataDir);
  await claimSocket(socketPath, options.dataDir);
  const api = Fastify({ logger: false, bodyLimit: CONTROL_BODY_LIMIT });
  // Only the node's own user can reach the socket, so a failure's real message is shown to them.
  api.setErrorHandler(errorHandler(options.logger, true));
  api.setNotFoundHandler(notFound);
  routes(api, options.device);
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

  let web: FastifyInstance | undefined;
  let httpPort: number | null = null;
  if (options.httpPort !== null) {
    web = Fastify({ logger: false });
    // Any local user can reach loopback: internal messages stay in the node's log.
    web.setErrorHandler(errorHandler(options.logger, false));
    web.setNotFoundHandler(notFound);
    const registry = createNodeMetrics(options.device);
    options.metrics?.(registry);
    web.get('/health', async (_req, reply) => health(options.device, reply));
    web.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
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

function routes(api: FastifyInstance, device: Device): void {
  api.get('/health', async (_req, reply) => health(device, reply));
  api.get('/status', async () => device.status());
  api.get('/peers', async () => ({ self: device.status().nodeId, peers: device.peers.all() }));
  api.get<{ Querystring: { after?: number; limit?: number } }>(
    '/inbox',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { after: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
          additionalProperties: false,
        },
      },
    },
    // Without `after`, the newest: the inbox only grows, and today's SOS must not hide behind
    // last month's chatter. With `after`, a reader pages forward from the last number it saw.
    async (req) => {
      const limit = req.query.limit ?? INBOX_DEFAULT_LIMIT;
      return { messages: req.query.after === undefined ? device.inbox.latest(limit) : device.inbox.since(req.query.after, limit) };
    },
  );
  api.post('/send', async (req, reply) => {
    const { text, to } = parseSendBody(req.body);
    return reply.code(202).send(device.sendText(text, to));
  });
  api.post('/sos', async (_req, reply) => reply.code(202).send(device.raiseSos()));
  api.post('/safe', async (_req, reply) => reply.code(202).send(device.imSafe()));
}

const SEND_FIELDS = new Set(['text', 'to']);

/**
 * Parsed by hand rather than by Fastify's schema: its validator coerces types (`{"text": 5}`
 * would be sent as "5") and silently drops unknown properties, and its messages do not name them.
 */
function parseSendBody(body: unknown): { text: string; to: number | undefined } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FirmwareError('E_BAD_REQUEST', 'the body must be a JSON object like {"text": "hello", "to": "!1a2b3c4d"}');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !SEND_FIELDS.has(k));
  if (unknown.length > 0) throw new FirmwareError('E_BAD_REQUEST', `unknown property ${unknown.map(quote).join(', ')}; a message has only "text" and "to"`);
  const { text, to } = fields;
  if (text === undefined) throw new FirmwareError('E_BAD_REQUEST', 'text is missing');
  if (typeof text !== 'string') throw new FirmwareError('E_BAD_REQUEST', `text must be a string, not ${describe(text)}`);
  if (to === undefined) return { text, to: undefined };
  if (typeof to !== 'string') throw new FirmwareError('E_BAD_REQUEST', `to must be a node id string such as "!1a2b3c4d", not ${describe(to)}`);
  const id = parseNodeId(to);
  if (id === null) throw new FirmwareError('E_BAD_REQUEST', `${quote(to)} is not a node id (write it as !1a2b3c4d)`);
  return { text, to: id };
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

function health(device: Device, reply: { code(n: number): unknown }): { status: string; radio: string } {
  const radio = device.status().radio.state;
  if (radio !== 'ready') reply.code(503);
  return { status: radio === 'ready' ? 'ok' : 'degraded', radio };
}

function errorBody(statusCode: number, code: string, message: string) {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** Every error in Fastify's shape, with a stable code: E_BAD_REQUEST for anything the caller can fix. */
function errorHandler(log: Logger, showInternal: boolean) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (err instanceof FirmwareError && err.code === 'E_BAD_REQUEST') return reply.code(400).send(errorBody(400, err.code, err.message));
    if (err.validation) return reply.code(400).send(errorBody(400, 'E_BAD_REQUEST', err.message));
    // 400 like every other bad request, so clients need not know Fastify's 413 for this one case.
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(400).send(errorBody(400, 'E_BAD_REQUEST', `the request body is larger than ${CONTROL_BODY_LIMIT / 1024} KiB`));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody(status, 'E_BAD_REQUEST', err.message));
    log.error({ err, method: req.method, url: req.url }, 'control API request failed');
    const code = err instanceof FirmwareError ? err.code : 'E_INTERNAL';
    return reply.code(500).send(errorBody(500, code, showInternal ? err.message : 'internal error; see the node log'));
  };
}

function notFound(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.code(404).send(errorBody(404, 'E_NOT_FOUND', `${req.method} ${req.url.split('?')[0]} is not part of the node's API`));
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
