// The admin UI's event vocabulary (public/js/hub-events.js) is generated from the typed union in
// @unibos/mesh-protocol, and the UI names events only through it: a renamed or removed event type
// fails here (stale file, or a UI reference the constant no longer has) instead of the page
// silently matching nothing.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { EVENT_TOPICS, HUB_EVENT_TYPES } from '@unibos/mesh-protocol';
import { HUB_EVENTS_JS, constantName, renderHubEventsModule } from '../scripts/generate-hub-events.ts';
import { PUBLIC_DIR } from '../src/ui/ui-routes.ts';

const JS_DIR = join(PUBLIC_DIR, 'js');

function uiSources(dir = JS_DIR): Array<{ file: string; text: string }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    // vendor/: bundles built from workspace sources (checked there, by cli/test/vocabulary.test.ts) and third-party code.
    if (e.isDirectory()) return e.name === 'vendor' ? [] : uiSources(path);
    return e.name.endsWith('.js') && path !== HUB_EVENTS_JS ? [{ file: relative(PUBLIC_DIR, path), text: readFileSync(path, 'utf8') }] : [];
  });
}

test('public/js/hub-events.js is what the generator makes from HUB_EVENT_TYPES today', () => {
  assert.equal(readFileSync(HUB_EVENTS_JS, 'utf8'), renderHubEventsModule(), 'stale: run `npm run generate:hub-events -w controlplane` and commit the result');
});

test('the generated module exports every event type, frozen, under its constant name', async () => {
  const mod = (await import(HUB_EVENTS_JS)) as { HUB_EVENT: Record<string, string>; HUB_EVENT_TOPIC: Record<string, string> };
  assert.ok(Object.isFrozen(mod.HUB_EVENT));
  assert.deepEqual(Object.values(mod.HUB_EVENT).sort(), [...HUB_EVENT_TYPES].sort());
  for (const type of HUB_EVENT_TYPES) assert.equal(mod.HUB_EVENT[constantName(type)], type);
});

test('the UI names events only through HUB_EVENT, and only names that exist', async () => {
  const { HUB_EVENT } = (await import(HUB_EVENTS_JS)) as { HUB_EVENT: Record<string, string> };
  const types = new Set<string>(HUB_EVENT_TYPES);
  const problems: string[] = [];
  let references = 0;
  for (const { file, text } of uiSources()) {
    for (const m of text.matchAll(/\bHUB_EVENT\.([A-Za-z0-9_]+)/g)) {
      references++;
      if (!(m[1]! in HUB_EVENT)) problems.push(`${file}: HUB_EVENT.${m[1]} is not an event type`);
    }
    // A string literal spelling an event type (or what looks like one: family.word) bypasses the constant.
    for (const m of text.matchAll(/(['"`])((?:node|mesh|sensor|alert|message|gateway)\.[a-z]+)\1/g)) {
      problems.push(`${file}: '${m[2]}' written as a literal${types.has(m[2]!) ? ` (use HUB_EVENT.${constantName(m[2]!)})` : ' and it is not an event type'}`);
    }
    for (const m of text.matchAll(/HUB_EVENT_TOPIC\[[^\]]+\]\s*[!=]==\s*'([a-z]+)'/g)) {
      if (!(EVENT_TOPICS as readonly string[]).includes(m[1]!)) problems.push(`${file}: '${m[1]}' is not an event topic`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(references >= 10, `the UI matches events through HUB_EVENT (${references} references found)`);
});
