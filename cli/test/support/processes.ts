// Running `unibos` the way a user does, for the CLI tests: long-running processes whose JSON log
// lines can be awaited, and one-shot commands with their exit code and output.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const bin = fileURLToPath(new URL('../../../bin/unibos.js', import.meta.url));
/** Every process started, so a test file can kill them all when it ends (also on failure). */
export const procs: Proc[] = [];

export type LogLine = Record<string, unknown> & { msg: string };

/** A long-running `unibos` process whose JSON log lines can be awaited. */
export class Proc {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  private waiters: Array<() => void> = [];
  stderr = '';
  readonly exited: Promise<number>;
  /**
   * Its output has ended: every line it printed is in `lines`. Its exit may be heard before its last
   * output is read (or while a child it left holds the pipe), so "it ended without printing that" is
   * judged on this, never on the exit.
   */
  private outputEnded = false;

  /**
   * `unibos args...`, or with `command` another program (mosquitto, mosquitto_sub), run under
   * `stdbuf -oL` so its lines arrive as they are written rather than when a pipe buffer fills.
   */
  constructor(args: string[], env: NodeJS.ProcessEnv = {}, command?: string) {
    const [file, argv] = command ? ['stdbuf', ['-oL', command, ...args]] : [process.execPath, [bin, ...args]];
    this.child = spawn(file, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(this);
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: line });
        }
      }
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => (this.wake(), resolve(code ?? -1))));
    this.child.once('close', () => {
      this.outputEnded = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The first log line (from `from` on) that matches; rejects if the process exits first. */
  async waitFor(match: (l: LogLine) => boolean, what: string, from = 0, timeoutMs = 60_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found) return found;
      if (this.outputEnded) throw new Error(`process exited (${this.child.exitCode ?? this.child.signalCode}) before ${what}: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; last lines: ${JSON.stringify(this.lines.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  async stop(): Promise<number> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}

/**
 * `unibos args...` at a terminal: util-linux `script` gives it a pty (echo on, as a person's terminal
 * has it), `type` is what the person types, `screen` everything the terminal showed.
 */
export class Terminal {
  readonly child: ChildProcess;
  screen = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number>;
  /** Everything the terminal showed has been read (see Proc). */
  private outputEnded = false;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, bin, ...args].map(quote).join(' ');
    this.child = spawn('script', ['-qefE', 'always', '-c', command, '/dev/null'], { env: { ...process.env, SHELL: '/bin/sh', ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.screen += chunk;
      this.wake();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => (this.wake(), resolve(code ?? -1))));
    this.child.once('close', () => {
      this.outputEnded = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once the terminal shows `text`; rejects if the program ends first. */
  async waitFor(text: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.screen.includes(text)) {
      if (this.outputEnded) throw new Error(`ended (${this.child.exitCode ?? this.child.signalCode}) before showing ${JSON.stringify(text)}: ${this.screen}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${JSON.stringify(text)}; the terminal shows: ${this.screen}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  type(keys: string): void {
    this.child.stdin!.write(keys);
  }

  /** The exit code, once the program ends (stdin stays open until then: its end would be a Ctrl-D). */
  async end(): Promise<number> {
    const code = await this.exited;
    this.child.stdin!.end();
    return code;
  }
}

export function unibos(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Debian's mosquitto_pub, run to its end: exit code 0 means the broker took the message. */
export function mosquittoPub(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('mosquitto_pub', args, { timeout: 20_000 }, (err, _stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }));
  });
}

/** One sample of a process's Prometheus /metrics (0 when absent). */
export async function scrapeMetric(port: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : 0;
}

export async function json<T>(args: string[]): Promise<T> {
  const r = await unibos([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

/**
 * A TCP port free on loopback right now, and only now: another process may take it before it is used.
 * A process that can listen on port 0 and say which port it got should; startOnSamePort and
 * mosquittoBroker deal with the port being taken meanwhile.
 */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const portTaken = (proc: Proc): boolean => /EADDRINUSE|address already in use/i.test(`${proc.stderr}\n${proc.lines.map((l) => l.msg).join('\n')}`);

/**
 * Starts `unibos args...` again on the ports it had, for a test whose clients keep coming back to them,
 * and resolves with the process and its `ready` line. While those ports were free another process may have
 * taken one for a while (a test's server, a client's local port): a start refused for that is tried again.
 */
export async function startOnSamePort(args: string[], ready: (l: LogLine) => boolean, what: string, timeoutMs = 60_000): Promise<{ proc: Proc; line: LogLine }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const proc = new Proc(args);
    try {
      return { proc, line: await proc.waitFor(ready, what, 0, timeoutMs) };
    } catch (err) {
      if (!portTaken(proc) || Date.now() >= deadline) throw err;
    }
  }
}

/**
 * Debian's mosquitto, anonymous, on a loopback port of its own; `conf` adds lines to its config. mosquitto
 * cannot pick a free port itself, so one is chosen here, and chosen again if another process takes it first.
 */
export async function mosquittoBroker(dir: string, conf = ''): Promise<{ proc: Proc; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const file = join(dir, `mosquitto-${port}.conf`);
    writeFileSync(file, `listener ${port} 127.0.0.1\nallow_anonymous true\nlog_dest stdout\n${conf}`);
    const proc = new Proc(['-c', file], {}, 'mosquitto');
    try {
      await proc.waitFor((l) => /running/.test(l.msg), 'mosquitto');
      return { proc, port };
    } catch (err) {
      if (!portTaken(proc) || attempt >= 10) throw err;
    }
  }
}
