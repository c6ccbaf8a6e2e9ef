// The CLI's side of the control socket: one JSON request to the running node, with a clear
// error when no node is running there.

import { request } from 'node:http';
import { FirmwareError } from '../firmware-error.ts';
import { controlSocketPath } from './control-socket.ts';

export async function callNode<T>(dataDir: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const socketPath = controlSocketPath(dataDir);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = request(
      { socketPath, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}, timeout: 10_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return reject(new FirmwareError('E_BAD_REQUEST', `the node answered ${res.statusCode} with something that is not JSON`));
          }
          if ((res.statusCode ?? 500) >= 400) {
            const m = parsed as { message?: string };
            return reject(new FirmwareError('E_BAD_REQUEST', m.message ?? `the node answered ${res.statusCode}`));
          }
          resolve(parsed as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the node did not answer within 10 s')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(new FirmwareError('E_NODE_NOT_RUNNING', `no node is running with data dir ${dataDir} (no control socket at ${socketPath}); start one with \`unibos node\``));
      } else if (err.code === 'EACCES') {
        reject(new FirmwareError('E_NODE_NOT_RUNNING', `not allowed to use ${socketPath}: run as the user the node runs as`));
      } else reject(err);
    });
    req.end(payload);
  });
}
