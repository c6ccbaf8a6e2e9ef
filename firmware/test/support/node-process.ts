// `unibos node` in a process of its own (so a test can SIGKILL it), logging at debug level; its
// stdout and stderr are collected in `out`, and `waiter` is woken at each chunk.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { EventWaiter } from '@unibos/test-support';

export interface NodeProcess {
  child: ReturnType<typeof spawn>;
  out: string;
  exited: Promise<unknown[]>;
}

export function nodeProcess(flags: Record<string, string>, waiter: EventWaiter): NodeProcess {
  const script = `
    import pino from 'pino';
    const { runNode } = await import(${JSON.stringify(new URL('../../src/node/run-node.ts', import.meta.url).href)});
    const { loadNodeConfig } = await import(${JSON.stringify(new URL('../../src/node/node-config.ts', import.meta.url).href)});
    await runNode(loadNodeConfig({ env: {}, flags: ${JSON.stringify(flags)} }), { logger: pino({ level: 'debug' }) });
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: NodeProcess = { child, out: '', exited: once(child, 'exit') };
  const take = (d: Buffer) => {
    proc.out += d.toString();
    waiter.wake();
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  return proc;
}

/** Ends every node process still running (a test's t.after) and waits for each. */
export async function killNodeProcesses(procs: NodeProcess[]): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}
