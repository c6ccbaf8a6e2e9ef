// Debian's mosquitto as the bench's baseline: a temp config on a free loopback port, tuned as
// ../../shared/DEPENDENCIES.md says a fair QoS 1 comparison needs (deep queues, no in-flight cap).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export interface MosquittoProcess {
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * mosquitto set up as the gateway runs: logins from a password file, an ACL file, persistence on;
 * and no queue or in-flight bound (`max_queued_messages 0`, `max_inflight_messages 0`), so it drops
 * nothing and does not stall, or the baseline would be meaningless.
 */
export async function startMosquitto(dir: string, login: { username: string; password: string }): Promise<MosquittoProcess> {
  const port = await freePort();
  const configPath = join(dir, 'mosquitto.conf');
  const passwordPath = join(dir, 'mosquitto.passwd');
  const aclPath = join(dir, 'mosquitto.acl');
  writeFileSync(passwordPath, '', { mode: 0o600 });
  execFileSync('mosquitto_passwd', ['-b', passwordPath, login.username, login.password]);
  writeFileSync(aclPath, `user ${login.username}\ntopic readwrite unibos/v1/#\n`);
  mkdirSync(join(dir, 'mosquitto-db'), { recursive: true });
  writeFileSync(
    configPath,
    [
      `listener ${port} 127.0.0.1`,
      // Run as whoever runs the bench: as root mosquitto would switch to its own user, who cannot read the private bench dir.
      `user ${userInfo().username}`,
      'allow_anonymous false',
      `password_file ${passwordPath}`,
      `acl_file ${aclPath}`,
      'max_queued_messages 0',
      'max_inflight_messages 0',
      'persistence true',
      `persistence_location ${join(dir, 'mosquitto-db')}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO_BIN, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 5_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr.trim()}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mosquitto did not listen on ${port} within 5 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, child, stop };
}
