// The node's local API. On the control socket (owner-only): status, peers, inbox, send, sos and
// safe, for the `unibos` CLI. On loopback TCP (optional): health and Prometheus metrics only.

import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { FirmwareError } from '../firmware-error.ts';
import type { Device } from '../node/device.ts';
import { parseNodeId } from '../node/identity.ts';
import { controlSocketPath } from './control-socket.ts';
import { createNodeMetrics } from './metrics.ts';

export interface ControlServerOptions {
  device: Device;
  dataDir: string;
  /** Loopback TCP port for /health and /metrics; null = none, 0 = any free port. */
  httpPort: number | null;
  logger: Logger;
}

export interface ControlServer {
  socketPath: string;
  /** The bound health/metrics port, if any. */
  httpPort: number | null;
  close(): Promise<void>;
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const socketPath = controlSocketPath(options.dataDir);
  await claimSocket(socketPath, options.dataDir);
  const api = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  api.setErrorHandler(errorHandler);
  routes(api, options.device);
  await api.listen({ path: socketPath });
  chmodSync(socketPath, 0o600);

  let web: FastifyInstance | undefined;
  let httpPort: number | null = null;
  if (options.httpPort !== null) {
    web = Fastify({ logger: false });
    const registry = createNodeMetrics(options.device);
    web.get('/health', async (_req, reply) => health(options.device, reply));
    web.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
    try {
      await web.listen({ host: '127.0.0.1', port: options.httpPort });
    } catch (err) {
      await api.close();
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
    { schema: { querystring: { type: 'object', properties: { after: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 1000 } }, additionalProperties: false } } },
    async (req) => ({ messages: device.inbox.since(req.query.after ?? 0, req.query.limit ?? 100) }),
  );
  api.post<{ Body: { text: string; to?: string } }>(
    '/send',
    {
      schema: {
        body: {
          type: 'object',
          required: ['text'],
          properties: { text: { type: 'string', minLength: 1, maxLength: 1000 }, to: { type: 'string', maxLength: 20 } },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      let to: number | undefined;
      if (req.body.to !== undefined) {
        const parsed = parseNodeId(req.body.to);
        if (parsed === null) throw new FirmwareError('E_BAD_REQUEST', `"${req.body.to}" is not a node id (write it as !1a2b3c4d)`);
        to = parsed;
      }
      return reply.code(202).send(device.sendText(req.body.text, to));
    },
  );
  api.post('/sos', async (_req, reply) => reply.code(202).send(device.raiseSos()));
  api.post('/safe', async (_req, reply) => reply.code(202).send(device.imSafe()));
}

function health(device: Device, reply: { code(n: number): unknown }): { status: string; radio: string } {
  const radio = device.status().radio.state;
  if (radio !== 'ready') reply.code(503);
  return { status: radio === 'ready' ? 'ok' : 'degraded', radio };
}

function errorHandler(err: FastifyError, _req: unknown, reply: { code(n: number): { send(body: unknown): unknown } }): unknown {
  if (err instanceof FirmwareError && err.code === 'E_BAD_REQUEST') {
    return reply.code(400).send({ statusCode: 400, code: err.code, error: 'Bad Request', message: err.message });
  }
  if (err.validation) {
    return reply.code(400).send({ statusCode: 400, code: 'E_BAD_REQUEST', error: 'Bad Request', message: err.message });
  }
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  return reply.code(status).send({ statusCode: status, code: err.code ?? 'E_INTERNAL', error: status === 500 ? 'Internal Server Error' : 'Bad Request', message: status === 500 ? 'internal error' : err.message });
}

/** One node per data folder: a live socket means another node owns it; a dead one is left over. */
async function claimSocket(path: string, dataDir: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new FirmwareError('E_NODE_RUNNING', `a node is already running with data dir ${dataDir}`);
  unlinkSync(path);
}
