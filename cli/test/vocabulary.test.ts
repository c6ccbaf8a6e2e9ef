// One vocabulary across the packages (issue 11): MQTT topics are built and parsed only in
// mesh-protocol/src/mqtt/topics.ts, and every hub event type raised or matched anywhere — hub,
// gateway, firmware, CLI or the admin UI — is one of the typed union in
// mesh-protocol/src/hub/hub-events.ts. A source scan: it reads the code as text.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HUB_EVENT_TYPES } from '@unibos/mesh-protocol';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TOPIC_MODULE = 'mesh-protocol/src/mqtt/topics.ts';
/** Where product code lives: each package's src, the CLI's commands, the browser's scripts. */
const SOURCE_DIRS = ['mesh-protocol/src', 'firmware/src', 'gateway/src', 'controlplane/src', 'controlplane/public/js', 'cli/commands', 'modules', 'messenger-client/src'];
// vendor/: bundles built from the sources above (checked there) plus third-party code.
const SKIP_DIRS = new Set(['node_modules', 'test', 'bench', 'fixtures', 'vendor']);

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(join(root, dir));
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return SKIP_DIRS.has(name) ? [] : sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The string literals of a source file (quotes and template text), with comments removed first. */
function stringLiterals(text: string): Array<{ value: string; line: number }> {
  const out: Array<{ value: string; line: number }> = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      line += text.slice(i, stop).split('\n').length - 1;
      i = stop;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      const startLine = line;
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\') {
          value += text[j + 1] ?? '';
          j += 2;
          continue;
        }
        if (text[j] === '\n') line++;
        value += text[j];
        j++;
      }
      out.push({ value, line: startLine });
      i = j + 1;
      continue;
    }
    i++;
  }
  return out;
}

const files = SOURCE_DIRS.flatMap(sourceFiles);

test('the scan sees the product code (a scan of nothing would pass anything)', () => {
  assert.ok(files.includes(TOPIC_MODULE));
  assert.ok(files.some((f) => f.startsWith('controlplane/public/js/')));
  assert.ok(files.length > 100, `${files.length} files`);
});

test('MQTT topic strings are built only in the topic module', () => {
  const offenders: string[] = [];
  for (const file of files) {
    if (file === TOPIC_MODULE) continue;
    for (const s of stringLiterals(readFileSync(join(root, file), 'utf8'))) {
      // A literal that is a topic (or a topic template): not prose that mentions one.
      const bare = s.value.replace(/\$\{[^}]*\}/g, 'x');
      if (/^(unibos\/v1\/|homeassistant\/)/.test(bare) && !/\s/.test(bare)) offenders.push(`${file}:${s.line} ${JSON.stringify(s.value.slice(0, 60))}`);
    }
  }
  assert.deepEqual(offenders, [], `build these with topics.* / parseTopic from @unibos/mesh-protocol:\n${offenders.join('\n')}`);
});

test('every hub event type raised or matched is in the typed union', () => {
  const known = new Set<string>(HUB_EVENT_TYPES);
  const looksLikeEvent = /^(node|mesh|sensor|alert|message|gateway|module)\.[a-z_]+$/;
  const FILE_SUFFIX = /\.(db|sock|json|js|ts|key|pem|log|conf)$/;
  const unknown: string[] = [];
  let seen = 0;
  for (const file of files) {
    for (const s of stringLiterals(readFileSync(join(root, file), 'utf8'))) {
      // File names ('node.db', 'node.sock') have the same shape.
      if (!looksLikeEvent.test(s.value) || FILE_SUFFIX.test(s.value)) continue;
      seen++;
      if (!known.has(s.value)) unknown.push(`${relative(root, join(root, file))}:${s.line} ${s.value}`);
    }
  }
  assert.ok(seen > 0, 'the scan found event types (the union is used somewhere)');
  assert.deepEqual(unknown, [], `not in HubEventPayloads (mesh-protocol/src/hub/hub-events.ts):\n${unknown.join('\n')}`);
});

test('every module event type in the code is declared by its module (module.{name}.{event})', () => {
  // The union takes module events as a template (the hub cannot list them); what makes one real is
  // its module's manifest: permissions.events.publish names each event the module may raise.
  const declared = new Map<string, Set<string>>();
  for (const name of readdirSync(join(root, 'modules'))) {
    try {
      const manifest = JSON.parse(readFileSync(join(root, 'modules', name, 'module.json'), 'utf8')) as { name: string; permissions?: { events?: { publish?: string[] } } };
      declared.set(manifest.name, new Set(manifest.permissions?.events?.publish ?? []));
    } catch {
      // A folder without a manifest (the module API package) declares nothing.
    }
  }
  const unknown: string[] = [];
  let seen = 0;
  for (const file of files) {
    for (const s of stringLiterals(readFileSync(join(root, file), 'utf8'))) {
      const m = /^module\.([a-z][a-z0-9-]*)\.([a-z][a-z0-9_]*)$/.exec(s.value);
      if (!m) continue;
      seen++;
      if (!declared.get(m[1]!)?.has(m[2]!)) unknown.push(`${file}:${s.line} ${s.value}`);
    }
  }
  assert.ok(declared.size > 0 && seen > 0, 'the scan found module manifests and module event types');
  assert.deepEqual(unknown, [], `not declared in modules/{name}/module.json permissions.events.publish:\n${unknown.join('\n')}`);
});
