// What an unattended field device needs from the system around UNIBOS, checked against the stage's
// own files without building an image: services that keep restarting however often they fail (no
// one is there to reset them), and a journal that does not eat the SD card (stage-unibos/03-system,
// run as pi-gen runs a sub-stage's NN-run.sh, read back with systemd's own config parser).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const STAGE = join(REPO, 'pi-gen-config', 'stage-unibos');
const root = mkdtempSync(join(tmpdir(), 'unibos-image-system-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A systemd time span in seconds (`300`, `5s`, `2min`, `infinity`). */
function seconds(span: string): number {
  if (span === 'infinity') return Infinity;
  let total = 0;
  for (const [, n, unit] of span.matchAll(/([\d.]+)\s*(ms|s|sec|m|min|h)?/g)) total += Number(n) * ({ ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600 }[unit ?? 's'] ?? 1);
  return total;
}

function setting(unit: string, key: string): string | undefined {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].at(-1)?.[1]?.trim();
}

test('a service that keeps failing at start is restarted forever, not left failed after a burst', () => {
  for (const name of ['unibos-node.service', 'unibos-gateway.service', 'unibos-hub.service']) {
    const unit = readFileSync(join(STAGE, '01-unibos', 'files', name), 'utf8');
    assert.equal(setting(unit, 'Restart'), 'always', `${name} restarts`);
    const restartSec = seconds(setting(unit, 'RestartSec') ?? '100ms');
    // systemd.unit(5): more than StartLimitBurst= starts within StartLimitIntervalSec= and the unit
    // is not started again (Restart= included) until someone resets it; 0 turns the limit off. The
    // defaults are systemd-system.conf(5)'s DefaultStartLimitIntervalSec=10s, DefaultStartLimitBurst=5.
    const interval = seconds(setting(unit, 'StartLimitIntervalSec') ?? '10s');
    const burst = Number(setting(unit, 'StartLimitBurst') ?? '5');
    // Failing at once, the starts come RestartSec= apart: burst of them span (burst - 1) * RestartSec.
    const givesUp = interval > 0 && (burst - 1) * restartSec < interval;
    assert.ok(!givesUp, `${name}: ${burst} failed starts ${restartSec} s apart fit in the start limit's ${interval} s: the unit would stay failed until someone ran systemctl reset-failed`);
  }
});

test("the journal is kept on the card across reboots but capped far below journald's 10% of the card", (t) => {
  if (spawnSync('systemd-analyze', ['--version']).status !== 0) {
    t.skip('skipped: systemd-analyze is not installed (it parses the config as journald does)');
    return;
  }
  const rootfs = join(root, 'rootfs');
  // As pi-gen runs it: from the sub-stage's directory, with ROOTFS_DIR.
  const run = spawnSync(join(STAGE, '03-system', '00-run.sh'), { cwd: join(STAGE, '03-system'), env: { ...process.env, ROOTFS_DIR: rootfs }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const cat = spawnSync('systemd-analyze', ['cat-config', `--root=${rootfs}`, 'systemd/journald.conf'], { encoding: 'utf8' });
  assert.equal(cat.status, 0, cat.stderr);
  // journald reads the drop-ins in order, the last value of a key wins.
  const value = (key: string): string | undefined => [...cat.stdout.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].at(-1)?.[1]?.trim();
  assert.equal(value('Storage'), 'persistent', 'what happened before a power cut can be read after it');
  const bytes = (size: string | undefined): number => {
    const m = /^(\d+)([KMG]?)$/.exec(size ?? '');
    assert.ok(m, `a size: ${size}`);
    return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2] as '' | 'K' | 'M' | 'G'];
  };
  assert.ok(bytes(value('SystemMaxUse')) <= 128 * 1024 ** 2, `the journal on the card is capped: SystemMaxUse=${value('SystemMaxUse')}`);
  assert.ok(bytes(value('RuntimeMaxUse')) <= 32 * 1024 ** 2, `and in RAM (512 MB on a Zero 2 W): RuntimeMaxUse=${value('RuntimeMaxUse')}`);
});
