// The messenger's times are the reader's: a message sent at 12:59 UTC reads 15:59 in Istanbul
// (it was printed as UTC, three hours off for the people it is written for).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localDateTime, localTime } from '../cli-time.ts';

test('times are said in the machine\u2019s own time zone', (t) => {
  const before = process.env.TZ;
  t.after(() => (before === undefined ? delete process.env.TZ : (process.env.TZ = before)));
  process.env.TZ = 'Europe/Istanbul';
  assert.equal(localTime('2026-12-07T12:59:04.473Z'), '15:59:04');
  assert.equal(localDateTime('2026-12-07T22:30:00.000Z'), '2026-12-08 01:30');
  process.env.TZ = 'UTC';
  assert.equal(localTime('2026-12-07T12:59:04.473Z'), '12:59:04');
  assert.equal(localTime('not a time'), 'not a time');
});
