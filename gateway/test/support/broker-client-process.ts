// Real MQTT client processes (mosquitto_pub, mosquitto_sub) for broker tests: spawned without a
// shell, their stdout collected line by line, waited on by output or exit, and killed by the pool
// that started them so no test leaves one behind.

import { spawn, type ChildProcess } from 'node:child_process';
import { EventWaiter } from '@unibos/test-support';

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ClientProcess {
  readonly lines: string[] = [];
  stderr = '';
  exit: ProcessExit | null = null;
  private partial = '';
  private readonly waiter = new EventWaiter();
  private readonly child: ChildProcess;

  constructor(
    readonly command: string,
    readonly args: readonly string[],
    /** Written to its standard input, which is then closed (e.g. mosquitto_pub -l, a message per line). */
    input?: string,
  ) {
    this.child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) this.child.stdin!.end(input);
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      this.waiter.wake();
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
      this.waiter.wake();
    });
    this.child.on('error', (err) => {
      this.stderr += `spawn error: ${err.message}`;
      this.exit ??= { code: null, signal: null };
      this.waiter.wake();
    });
    // 'close', not 'exit': by then stdout and stderr have been read to the end.
    this.child.on('close', (code, signal) => {
      if (this.partial) this.lines.push(this.partial);
      this.partial = '';
      this.exit = { code, signal };
      this.waiter.wake();
    });
  }

  get running(): boolean {
    return this.exit === null;
  }

  async waitForLines(count: number, timeoutMs = 20_000): Promise<string[]> {
    await this.waiter.until(
      () => this.lines.length >= count || (this.exit !== null && this.lines.length < count),
      () => `${count} line(s) from ${this.describe()}`,
      timeoutMs,
    );
    if (this.lines.length < count) throw new Error(`${this.describe()} exited before printing ${count} line(s)`);
    return this.lines.slice(0, count);
  }

  async waitForExit(timeoutMs = 20_000): Promise<ProcessExit> {
    await this.waiter.until(() => this.exit !== null, () => `${this.describe()} to exit`, timeoutMs);
    return this.exit!;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal);
  }

  describe(): string {
    return `${this.command} ${this.args.join(' ')} (stdout ${JSON.stringify(this.lines)}, stderr ${JSON.stringify(this.stderr)}, exit ${JSON.stringify(this.exit)})`;
  }
}

export class ProcessPool {
  private readonly started: ClientProcess[] = [];

  spawn(command: 'mosquitto_pub' | 'mosquitto_sub', args: readonly string[], input?: string): ClientProcess {
    const p = new ClientProcess(command, args, input);
    this.started.push(p);
    return p;
  }

  /** Kills whatever is still running and waits for it to be gone. */
  async stopAll(): Promise<void> {
    const running = this.started.splice(0).filter((p) => p.running);
    for (const p of running) p.kill('SIGKILL');
    await Promise.all(running.map((p) => p.waitForExit()));
  }
}

export interface ClientLogin {
  readonly username?: string;
  readonly password?: string;
  readonly clientId?: string;
}

/** Connection arguments common to mosquitto_pub and mosquitto_sub. */
export function connectArgs(port: number, login: ClientLogin, host = '127.0.0.1'): string[] {
  const args = ['-h', host, '-p', String(port), '-V', 'mqttv311'];
  if (login.username !== undefined) args.push('-u', login.username);
  if (login.password !== undefined) args.push('-P', login.password);
  if (login.clientId !== undefined) args.push('-i', login.clientId);
  return args;
}
