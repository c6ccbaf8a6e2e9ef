// A POST from a chosen local source address (127.0.0.2 ... on Linux's loopback /8), so a test can
// be many clients of the hub's per-address limits over real HTTP.

import { request } from 'node:http';
import type { TestHub } from './test-hub.ts';

export interface FromReply {
  status: number;
  retryAfter: string | undefined;
  body: { code?: string; message?: string; deviceToken?: string; refreshToken?: string; accessToken?: string };
}

/** POST `path` with a JSON body from local address `from`, with extra `headers` (X-Forwarded-For). */
export function postFrom(hub: TestHub, path: string, body: unknown, from = '127.0.0.1', headers: Record<string, string> = {}): Promise<FromReply> {
  const url = new URL(path, hub.url);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, agent: false, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        const ra = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(ra) ? ra[0] : ra, body: JSON.parse(text) as FromReply['body'] });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}
