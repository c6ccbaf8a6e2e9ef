// What the hub's log says when clients misbehave: their refusals and broken frames are not the
// hub failing, so they carry no stack and stay below error level (anyone could otherwise fill an
// operator's log with alarms); a hub that does fail still logs an error.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import WebSocket from 'ws';
import { createAdminSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';

test('a 503 the hub means and a websocket frame over the limit log no error and no stack', { timeout: 30_000 }, async () => {
  const lines: Array<{ level: number; msg: string; err?: { stack?: string }; code?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const hub = await startTestHub({}, { logger });
  const admin = await createAdminSession(hub);

  // A broadcast in an org with no gateway: 503, as the hub means it (nothing can carry it).
  const res = await fetch(`${hub.url}/api/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.accessToken}` }, body: JSON.stringify({ text: 'hello' }) });
  const refused = (await res.json()) as { code: string };
  assert.deepEqual({ status: res.status, code: refused.code }, { status: 503, code: 'E_UNAVAILABLE' });

  // A stream frame over 64 KiB: ws closes it with 1009.
  const ws = new WebSocket(`${hub.url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(admin.accessToken)}`);
  await new Promise((resolve) => ws.once('message', resolve));
  ws.send('x'.repeat(70_000));
  const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
  assert.equal(code, 1009);
  // Logged as the hub sees it (whatever the level): then the log is read.
  const noted = () => lines.some((l) => /Max payload size exceeded/.test(`${l.msg} ${(l as { reason?: string }).reason ?? ''}`));
  while (!noted()) await new Promise((resolve) => setTimeout(resolve, 5));

  const errors = lines.filter((l) => l.level >= 50);
  assert.deepEqual(errors.map((l) => l.msg), [], 'nothing at error level');
  assert.equal(lines.filter((l) => l.err?.stack).length, 0, 'no stack traces');
  assert.ok(lines.some((l) => l.level === 40 && l.msg === 'request refused' && l.code === 'E_UNAVAILABLE'), 'the refusal is a warning with its code');
});
