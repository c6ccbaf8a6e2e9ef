// Operations as an admin or a monitoring system meets them: health and readiness, Prometheus
// metrics, the OpenAPI document, request ids, security headers, and logs without secrets.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import pino from 'pino';
import { hubConfigDefaults, runHub } from '../src/index.ts';

test('health, readiness, metrics, OpenAPI, request ids and headers; tokens never reach the log', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-ops-'));
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  const hub = await runHub({ ...hubConfigDefaults(dataDir), httpPort: 0, mqttPort: 0 }, { logger: pino({ level: 'info' }, sink) });
  after(async () => {
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const path of ['/alive', '/ready', '/health']) assert.equal((await fetch(`${hub.url}${path}`)).status, 200, path);
  const health = (await (await fetch(`${hub.url}/health`)).json()) as { status: string; database: string; broker: string };
  assert.deepEqual([health.status, health.database, health.broker], ['ok', 'ok', 'ok']);
  const metrics = await (await fetch(`${hub.url}/metrics`)).text();
  for (const name of ['unibos_hub_nodes', 'unibos_hub_ingest_dropped_total', 'unibos_hub_gateways_connected', 'unibos_ws_open_streams', 'process_cpu_seconds_total']) assert.match(metrics, new RegExp(`^${name}`, 'm'), name);

  const openapi = (await (await fetch(`${hub.url}/docs/json`)).json()) as { openapi: string; paths: Record<string, unknown> };
  assert.match(openapi.openapi, /^3\./);
  for (const path of ['/api/v1/auth/login', '/api/v1/nodes', '/api/v1/nodes/{id}/messages', '/api/v1/records', '/api/v1/alerts/{id}/acknowledge']) assert.ok(openapi.paths[path], `OpenAPI documents ${path}`);
  assert.equal((await fetch(`${hub.url}/docs`)).status, 200);

  const res = await fetch(`${hub.url}/api/v1/sensors?token=SECRET-TOKEN-123`, { headers: { 'x-request-id': 'trace-me' } });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('x-request-id'), 'trace-me', 'a caller\u2019s request id is kept and echoed');
  assert.ok(res.headers.get('content-security-policy')?.includes("default-src 'self'"));
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('access-control-allow-origin'), null, 'CORS is off unless configured');
  const body = (await res.json()) as { statusCode: number; code: string; error: string; message: string };
  assert.deepEqual([body.statusCode, body.code, body.error], [401, 'E_AUTH_REQUIRED', 'Unauthorized']);

  const logged = lines.filter((l) => l.includes('trace-me'));
  assert.ok(logged.length > 0, 'requests are logged with their id');
  assert.ok(!lines.some((l) => l.includes('SECRET-TOKEN-123')), 'the token in the query string is not logged');
});
