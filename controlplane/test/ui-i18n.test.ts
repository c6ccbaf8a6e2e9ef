// Every string the admin UI passes through t() has its Turkish in public/js/locales/tr.js (a
// missing one would show English to a Turkish operator), with the same placeholders, and the UI
// writes no sentence glued from translated pieces.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const JS = new URL('../public/js/', import.meta.url).pathname;

function sources(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== 'locales') walk(join(dir, e.name));
      } else if (e.name.endsWith('.js')) out.push([join(dir, e.name), readFileSync(join(dir, e.name), 'utf8')]);
    }
  };
  walk(JS);
  return out;
}

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

test('every UI string has its Turkish, with the same placeholders', async () => {
  const { TR } = (await import(pathToFileURL(join(JS, 'locales', 'tr.js')).href)) as { TR: Record<string, string | Record<string, string>> };
  const missing: string[] = [];
  const wrong: string[] = [];
  let keys = 0;
  for (const [file, src] of sources()) {
    const singles = [...src.matchAll(/(?<![\w.$])t\(\s*'((?:\\.|[^'\\])*)'/g)].map((m) => m[1]!.replace(/\\'/g, "'"));
    // t(cond ? 'a' : 'b') picks between two whole sentences.
    const choices = [...src.matchAll(/(?<![\w.$])t\(\s*[\w.!]+ \? '((?:\\.|[^'\\])*)' : '((?:\\.|[^'\\])*)'/g)].flatMap((m) => [m[1]!, m[2]!]);
    const plurals = [...src.matchAll(/(?<![\w.$])t\(\s*\{ one: '((?:\\.|[^'\\])*)', other: '((?:\\.|[^'\\])*)' \}/g)].map((m) => m[2]!);
    for (const key of [...singles, ...choices, ...plurals]) {
      keys++;
      const tr = TR[key];
      if (tr === undefined) {
        missing.push(`${file.slice(JS.length)}: ${key}`);
        continue;
      }
      for (const form of typeof tr === 'string' ? [tr] : Object.values(tr)) if (placeholders(form).join() !== placeholders(key).join()) wrong.push(`${key} -> ${form}`);
    }
  }
  assert.ok(keys > 200, `the UI's strings were found (${keys})`);
  assert.deepEqual(missing, [], 'strings without Turkish');
  assert.deepEqual(wrong, [], 'Turkish with other placeholders than the English');
});
