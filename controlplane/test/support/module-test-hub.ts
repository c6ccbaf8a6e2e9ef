// A real hub for module tests: like startTestHub, with the module host pointed at a folder of
// modules the test writes (or the repository's modules/) and a short retry backoff.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { ModulesOptions } from '../../src/modules/modules-plugin.ts';
import { startTestHub, type TestHub } from './test-hub.ts';

export function startModuleHub(modules: ModulesOptions, options: { dataDir?: string; keep?: boolean } = {}): Promise<TestHub> {
  return startTestHub(
    { dedupWindowMs: 0, ...(options.dataDir ? { dataDir: options.dataDir } : {}) },
    { keepDataDir: options.keep ?? false, modules: { retry: { minMs: 50, maxMs: 400 }, ...modules } },
  );
}

/** A folder of modules: name -> { manifest fields over a valid default, files }. */
export function writeModules(specs: Record<string, { manifest?: Record<string, unknown>; files?: Record<string, string>; raw?: string }>): string {
  const root = mkdtempSync(join(tmpdir(), 'unibos-modules-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  for (const [name, spec] of Object.entries(specs)) {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const manifest = { name, version: '1.0.0', description: `${name} test module`, author: 'tests', license: 'MIT', category: 'iot', dependencies: { core: '>=0.1.0' }, capabilities: {}, platforms: ['linux', 'macos', 'windows', 'raspberry_pi'], permissions: {}, entry: { hub: 'hub.js' }, ...spec.manifest };
    writeFileSync(join(dir, 'module.json'), spec.raw ?? JSON.stringify(manifest, null, 2));
    for (const [file, text] of Object.entries(spec.files ?? { 'hub.js': 'export default async function plugin(app) { app.get("/hello", async () => ({ hello: true })); }' })) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
  }
  return root;
}

/** cctv needs OpenCV to run, not to be configured: switched off for the rest of the test file, it settles unavailable. */
export function withoutOpenCv(): void {
  const before = process.env.UNIBOS_OPENCV4NODEJS;
  process.env.UNIBOS_OPENCV4NODEJS = 'off';
  after(() => {
    if (before === undefined) delete process.env.UNIBOS_OPENCV4NODEJS;
    else process.env.UNIBOS_OPENCV4NODEJS = before;
  });
}

/** What the hub keeps on disk (modules.json) as a module's settings, with their secrets. */
export function storedSettings<T>(hub: TestHub, name: string): T {
  const file = JSON.parse(readFileSync(join(hub.dataDir, 'modules.json'), 'utf8')) as { modules?: Record<string, { settings: T }> } & Record<string, { settings: T }>;
  return (file.modules ?? file)[name]!.settings;
}
