// Child process of the bench: runs autocannon against one URL and reports the figures, so the
// load generator and the server under test do not share an event loop.

import autocannon from 'autocannon';

export interface HttpLoadRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationS: number;
}

export interface HttpLoadResult {
  reqPerS: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  failed: number;
}

process.once('message', (request: HttpLoadRequest) => {
  void run(request).then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (err: unknown) => process.send!({ error: (err as Error).message }, () => process.exit(1)),
  );
});

async function run(r: HttpLoadRequest): Promise<HttpLoadResult> {
  const options = { url: r.url, method: r.method, headers: r.headers, connections: r.connections, pipelining: 1, ...(r.body !== undefined ? { body: r.body } : {}) };
  await autocannon({ ...options, duration: 1 }); // warm-up: JIT, SQLite page cache, connection setup
  const res = await autocannon({ ...options, duration: r.durationS });
  return { reqPerS: res.requests.average, p50Ms: res.latency.p50, p99Ms: res.latency.p99, ok: res['2xx'], failed: res.non2xx + res.errors + res.timeouts };
}
