// Stand-ins for libgpiod's tools (test/fixtures/fake-gpiod) on PATH for a test file: they keep a
// level per line in a folder of their own, refuse a line another process holds (EBUSY, by flock)
// and play the edges a test appends. useFakeGpiod() installs them for the file's tests; each test
// calls fresh(t) for an empty set of lines.

import { after, before } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FAKE_GPIOD_TOOLS = fileURLToPath(new URL('../fixtures/fake-gpiod', import.meta.url));

export interface FakeGpiod {
  /** A new, empty set of lines for this test (removed after it). */
  fresh(t: { after: (fn: () => void) => void }): void;
  /** The folder the tools keep the lines in. */
  readonly dir: string;
  /** A line's level as last driven, '0' or '1'. */
  level(line: number): string;
  /** What the tools were asked, one line per call. */
  log(): string[];
  /** The level changes driven on `line`, in order ('set 17=1'). */
  changes(line: number): string[];
  /** True when no process holds the line (a gpioset left behind would). */
  free(line: number): boolean;
}

export function useFakeGpiod(prefix = 'unibos-gpiod-'): FakeGpiod {
  const saved = { PATH: process.env.PATH, FAKE_GPIO_DIR: process.env.FAKE_GPIO_DIR };
  let dir = '';
  before(() => {
    process.env.PATH = `${FAKE_GPIOD_TOOLS}:${saved.PATH}`;
  });
  after(() => {
    process.env.PATH = saved.PATH;
    if (saved.FAKE_GPIO_DIR === undefined) delete process.env.FAKE_GPIO_DIR;
    else process.env.FAKE_GPIO_DIR = saved.FAKE_GPIO_DIR;
  });
  const log = (): string[] => readFileSync(join(dir, 'log'), 'utf8').split('\n');
  return {
    fresh(t) {
      const made = mkdtempSync(join(tmpdir(), prefix));
      dir = made;
      process.env.FAKE_GPIO_DIR = made;
      t.after(() => rmSync(made, { recursive: true, force: true }));
    },
    get dir() {
      return dir;
    },
    level: (line) => readFileSync(join(dir, `line-${line}.level`), 'utf8').trim(),
    log,
    changes: (line) => log().filter((l) => l.startsWith(`set ${line}=`)),
    free: (line) => spawnSync('flock', ['-n', join(dir, `line-${line}.lock`), 'true']).status === 0,
  };
}
