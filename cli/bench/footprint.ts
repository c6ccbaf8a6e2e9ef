// The footprint bench (issue 12): what the image runs, the compiled bundle of `unibos image
// bundle`, measured as a Pi Zero 2 W (512 MB for everything) would feel it. Each role is started
// alone, timed from spawn to its sd_notify READY=1 (each gets its own NOTIFY_SOCKET, as systemd
// gives it), then everything idles together and resident memory is read from /proc. A bare
// `node -e 'setInterval(()=>{},1e3)'` in the same run is the baseline; the same roles run from the
// checkout through tsx show what the bundle saves. The bundled roles get the NODE_OPTIONS their
// systemd units in pi-gen-config set, so this measures what the image runs. Besides RSS (what the
// goals are stated in) it shows private memory: the Node binary's pages count in every process's
// RSS but are shared between them on the device.
//
//   npm run bench:footprint -- [--idle-s 30] [--bundle DIR] [--no-checkout]
//
// Goals (issue 12): idle RSS node <= 1.35x bare, gateway <= 1.6x, hub <= 2.2x; each ready within 1 s.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildBundle } from '../image/bundle.ts';

const { values } = parseArgs({ options: { 'idle-s': { type: 'string', default: '30' }, bundle: { type: 'string' }, 'no-checkout': { type: 'boolean', default: false }, help: { type: 'boolean' } } });
if (values.help) {
  process.stdout.write('usage: npm run bench:footprint -- [--idle-s 30] [--bundle DIR] [--no-checkout]\n');
  process.exit(0);
}
const idleS = Number(values['idle-s']);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const GOALS = { node: 1.35, gateway: 1.6, hub: 2.2 } as const;
const READY_GOAL_MS = 1000;

interface DgramServer {
  bind(path: string): void;
  close(): void;
}
const unixDgram = createRequire(join(REPO, 'firmware', 'package.json'))('unix-dgram') as { createSocket(type: 'unix_dgram', onMessage: (buf: Buffer) => void): DgramServer };

const work = mkdtempSync(join(tmpdir(), 'unibos-footprint-'));
const children: ChildProcess[] = [];
const sockets: DgramServer[] = [];
const cleanup = (): void => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of sockets) s.close();
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

interface Row {
  label: string;
  role: 'bare' | 'air' | 'node' | 'gateway' | 'hub';
  child: ChildProcess;
  readyMs?: number;
  rssMb?: number;
  privateMb?: number;
  nodeOptions?: string;
  /** The process's first log lines, to say why it died if it does. */
  out: string;
}

/** Spawns `args` under Node with its own NOTIFY_SOCKET; resolves once READY=1 arrives (or `readyLine` is logged). */
function start(label: string, role: Row['role'], args: string[], readyLine?: RegExp, nodeOptions?: string): Promise<Row & { port?: number }> {
  return new Promise((resolve, reject) => {
    const notify = join(work, `${label.replace(/\W+/g, '-')}.notify`);
    const t0 = process.hrtime.bigint();
    const elapsed = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
    let row: Row & { port?: number };
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      row.readyMs = elapsed();
      resolve(row);
    };
    const server = unixDgram.createSocket('unix_dgram', (buf) => {
      if (/^READY=1$/m.test(buf.toString())) done();
    });
    server.bind(notify);
    sockets.push(server);
    const env: NodeJS.ProcessEnv = { ...process.env, NOTIFY_SOCKET: notify };
    delete env.NODE_OPTIONS;
    if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: work });
    children.push(child);
    row = { label, role, child, out: '' };
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      if (row.out.length < 4000) row.out += text;
      const port = /"msg":"simulated air listening"/.test(text) ? /"port":(\d+)/.exec(text) : null;
      if (port) row.port = Number(port[1]);
      if (readyLine?.test(text)) done();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`${label} exited (${code}) before it was ready:\n${row.out}`));
    });
    if (role === 'bare') done();
    setTimeout(() => {
      if (!settled) reject(new Error(`${label} not ready within 60 s:\n${row.out}`));
    }, 60_000).unref();
  });
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function privateMb(pid: number): number {
  const m = /^Private_Dirty:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** NODE_OPTIONS from the image's unit for `role`, so the bench runs what the device runs. */
function unitNodeOptions(role: 'node' | 'gateway' | 'hub'): string | undefined {
  const unit = readFileSync(join(REPO, 'pi-gen-config', 'stage-unibos', '01-unibos', 'files', `unibos-${role}.service`), 'utf8');
  return /^Environment=NODE_OPTIONS=(.+)$/m.exec(unit)?.[1];
}

async function main(): Promise<void> {
  let bundleDir = values.bundle;
  if (!bundleDir) {
    bundleDir = join(work, 'bundle');
    const t0 = Date.now();
    await buildBundle({ outDir: bundleDir, arch: process.arch });
    process.stdout.write(`built the bundle in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const bundled = join(bundleDir, 'bin', 'unibos.js');
  const checkout = join(REPO, 'bin', 'unibos.js');
  const rows: Row[] = [];
  rows.push(await start('bare node -e', 'bare', ['-e', 'setInterval(()=>{},1e3)']));
  const air = await start('air (bundle)', 'air', [bundled, 'air', '--port', '0'], /simulated air listening/);
  rows.push(air);
  const airAddr = `127.0.0.1:${air.port}`;
  const roles = (bin: string, tag: string, dir: string): Array<[string, 'node' | 'gateway' | 'hub', string[]]> => [
    [`node (${tag})`, 'node', [bin, 'node', '--data-dir', join(work, dir, 'node'), '--http-port', 'off', '--air', airAddr, '--lat', '41', '--lon', '29']],
    [`gateway (${tag})`, 'gateway', [bin, 'gateway', '--data-dir', join(work, dir, 'gw'), '--http-port', 'off', '--air', airAddr, '--lat', '41', '--lon', '29.01', '--mqtt-port', '0', '--ws-port', 'off']],
    [`hub (${tag})`, 'hub', [bin, 'hub', '--data-dir', join(work, dir, 'hub'), '--port', '0', '--mqtt-port', '0']],
  ];
  const plan = [...roles(bundled, 'bundle', 'b'), ...(values['no-checkout'] ? [] : roles(checkout, 'checkout, tsx', 'c'))];
  // One at a time, so start-up is not timed against a neighbour's start-up on 2 cores.
  for (const [label, role, args] of plan) {
    const options = label.includes('(bundle)') ? unitNodeOptions(role) : undefined;
    const row = await start(label, role, args, undefined, options);
    if (options) row.nodeOptions = options;
    rows.push(row);
  }
  process.stdout.write(`all started; idling ${idleS} s\n`);
  await new Promise((r) => setTimeout(r, idleS * 1000));
  for (const r of rows) {
    r.rssMb = rssMb(r.child.pid!);
    r.privateMb = privateMb(r.child.pid!);
  }

  const bare = rows[0]!.rssMb!;
  process.stdout.write(`\n${'process'.padEnd(24)}${'ready ms'.padStart(10)}${'idle RSS MB'.padStart(13)}${'x bare'.padStart(8)}${'private MB'.padStart(12)}  NODE_OPTIONS\n`);
  for (const r of rows) {
    const ready = r.role === 'bare' ? '-' : r.role === 'air' ? `${Math.round(r.readyMs!)}*` : String(Math.round(r.readyMs!));
    process.stdout.write(`${r.label.padEnd(24)}${ready.padStart(10)}${r.rssMb!.toFixed(1).padStart(13)}${(r.rssMb! / bare).toFixed(2).padStart(8)}${r.privateMb!.toFixed(1).padStart(12)}  ${r.nodeOptions ?? ''}\n`);
  }
  process.stdout.write(`(* the air has no sd_notify: ready = its "listening" log line; idle = ${idleS} s after the last start, ${process.version} ${process.platform}-${process.arch})\n`);
  const b = (role: Row['role']): Row => rows.find((r) => r.role === role && r.label.includes('(bundle)'))!;
  const c = (role: Row['role']): Row | undefined => rows.find((r) => r.role === role && r.label.includes('checkout'));
  const missed: string[] = [];
  for (const role of ['node', 'gateway', 'hub'] as const) {
    if (b(role).rssMb! / bare > GOALS[role]) missed.push(`${role} RSS ${(b(role).rssMb! / bare).toFixed(2)}x > ${GOALS[role]}x`);
    if (b(role).readyMs! > READY_GOAL_MS) missed.push(`${role} ready ${Math.round(b(role).readyMs!)} ms > ${READY_GOAL_MS} ms`);
  }
  if (missed.length) process.stdout.write(`GOAL NOT MET: ${missed.join('; ')}\n`);
  const ratio = (role: 'node' | 'gateway' | 'hub'): string => `${role} ${(b(role).rssMb! / bare).toFixed(2)}x (goal ${GOALS[role]}x, ready ${(b(role).readyMs! / 1000).toFixed(2)} s)`;
  const saved = c('node') ? `; checkout via tsx: node ${(c('node')!.rssMb! / bare).toFixed(2)}x, gateway ${(c('gateway')!.rssMb! / bare).toFixed(2)}x, hub ${(c('hub')!.rssMb! / bare).toFixed(2)}x` : '';
  process.stdout.write(`footprint vs bare node (${bare.toFixed(1)} MB, same run), bundle idle RSS: ${ratio('node')}, ${ratio('gateway')}, ${ratio('hub')}${saved}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`footprint bench failed: ${err.message}\n`);
    process.exit(1);
  },
);
