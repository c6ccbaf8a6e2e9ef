// The CLI's side of the control socket: one JSON request to the running node. Every failure
// becomes a FirmwareError the CLI prints as one line: no node there, a request the node refused
// (E_BAD_REQUEST), the node failing (E_NODE_ERROR) or not answering (E_NODE_TIMEOUT).

import { request } from 'node:http';
import { FirmwareError } from '../firmware-error.ts';
import { controlSocketPath } from './control-socket.ts';

export interface CallNodeOptions {
  /** How long the node may stay silent before we give up. */
  timeoutMs?: number;
}

export async function callNode<T>(dataDir: string, method: 'GET' | 'POST', path: string, body?: unknown, options: CallNodeOptions = {}): Promise<T> {
  const socketPath = controlSocketPath(dataDir);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = request(
      { socketPath, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('error', (err) => reject(connectionError(err, dataDir, socketPath)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return reject(new FirmwareError('E_NODE_ERROR', `the node answered ${status} with something that is not JSON`));
          }
          if (status < 400) return resolve(parsed as T);
          const m = (parsed as { message?: unknown } | null)?.message;
          const message = typeof m === 'string' ? m : `the node answered ${status}`;
          // A full outbox is neither the request's fault nor a failing node: said as the node said it.
          if ((parsed as { code?: unknown } | null)?.code === 'E_OUTBOX_FULL') return reject(new FirmwareError('E_OUTBOX_FULL', message));
          // 4xx: the request was wrong and the user can fix it; 5xx: the node itself failed.
          reject(status < 500 ? new FirmwareError('E_BAD_REQUEST', message) : new FirmwareError('E_NODE_ERROR', `the node failed: ${message}`));
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new FirmwareError('E_NODE_TIMEOUT', `the node with data dir ${dataDir} did not answer within ${timeoutMs / 1000} s; it may be overloaded or hung (see its log, e.g. journalctl -u unibos-node)`),
      ),
    );
    req.on('error', (err) => reject(connectionError(err, dataDir, socketPath)));
    req.end(payload);
  });
}

function connectionError(err: NodeJS.ErrnoException, dataDir: string, socketPath: string): FirmwareError {
  if (err instanceof FirmwareError) return err;
  if (err.code === 'ENOENT') {
    return new FirmwareError('E_NODE_NOT_RUNNING', `no node is running with data dir ${dataDir} (no control socket at ${socketPath}); start one with \`unibos node\``);
  }
  // The socket file of a node that ended without removing it (killed, a power cut).
  if (err.code === 'ECONNREFUSED') {
    return new FirmwareError('E_NODE_NOT_RUNNING', `no node is running with data dir ${dataDir} (nothing answers on ${socketPath}, left by a node that stopped); start one with \`unibos node\``);
  }
  if (err.code === 'EACCES') return new FirmwareError('E_NODE_NOT_RUNNING', `not allowed to use ${socketPath}: run as the user the node runs as (on a flashed card the unibos user: sudo -u unibos unibos …)`);
  return new FirmwareError('E_NODE_ERROR', `lost the connection to the node at ${socketPath} (${err.code ?? err.message})`, { cause: err });
}
