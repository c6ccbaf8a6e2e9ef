// `unibos` entry point: one binary, several roles; each subcommand lives in cli/commands/.

import { readFileSync } from 'node:fs';
import { CliError } from './cli-error.ts';
import { say, sayMessage } from './cli-language.ts';
import { fitHelp } from './help-width.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  sim: { summary: 'simulate a LoRa mesh and compare flooding strategies', load: () => import('./commands/sim.ts') },
  node: { summary: 'run this machine as a field device (LoRa modem or simulated radio)', load: () => import('./commands/node.ts') },
  gateway: { summary: 'run a gateway: a node plus MQTT broker, mesh bridge and hub uplink', load: () => import('./commands/gateway.ts') },
  hub: { summary: 'run the hub: API, admin UI, event stream and the broker gateways connect to', load: () => import('./commands/hub.ts') },
  demo: { summary: 'run hub, gateway and simulated nodes together on this machine (npm start)', load: () => import('./commands/demo.ts') },
  air: { summary: 'run the simulated radio air that simulated nodes join', load: () => import('./commands/air.ts') },
  radio: { summary: 'list SPI LoRa boards; probe one (or its emulated chip) and say how to fix it', load: () => import('./commands/radio.ts') },
  status: { summary: 'show what the running node is doing', load: () => import('./commands/status.ts') },
  peers: { summary: 'list the nodes the running node has heard', load: () => import('./commands/peers.ts') },
  send: { summary: 'send a text through the running node', load: () => import('./commands/send.ts') },
  trace: { summary: 'trace the path to a node and back, with the SNR of each hop', load: () => import('./commands/trace.ts') },
  sos: { summary: 'raise (or end, with --safe) an SOS on the running node', load: () => import('./commands/sos.ts') },
  inbox: { summary: 'list texts and alerts the running node received', load: () => import('./commands/inbox.ts') },
  module: { summary: 'list, enable, disable, configure and create modules', load: () => import('./commands/module.ts') },
  image: { summary: 'build the device bundle, write unibos.json for a flashed card, first boot', load: () => import('./commands/image.ts') },
  msg: { summary: 'end-to-end encrypted messages through the hub: login, dm, send, read, groups, safety numbers', load: () => import('./commands/msg.ts') },
};

/**
 * Mistakes the user can fix by changing the command or the config: exit code 2, like usage errors.
 * Every other code (the node failing, E_NODE_ERROR; not answering, E_NODE_TIMEOUT; hardware) is 1.
 */
const USER_ERRORS = new Set(['E_CONFIG', 'E_BAD_REQUEST', 'E_NODE_RUNNING', 'E_NODE_NOT_RUNNING']);

export async function main(argv: string[]): Promise<number> {
  endQuietlyWhenStdoutCloses();
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    // Beside bin/ in a checkout and in the device bundle alike.
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`unibos ${version} (node ${process.version}, ${process.platform}-${process.arch})\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`unibos: ${say("unknown command '{name}'", { name })}\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`unibos ${name}: ${err.message}\n`);
      return 2;
    }
    // The device runtime's and the gateway's errors carry a code and a message written for the person
    // at the keyboard (checked by name: importing those packages here would slow down every command).
    if (err instanceof Error && (err.name === 'FirmwareError' || err.name === 'GatewayError')) {
      process.stderr.write(`unibos ${name}: ${sayMessage(err.message)}\n`);
      return USER_ERRORS.has((err as Error & { code?: string }).code ?? '') ? 2 : 1;
    }
    // The mesh library's errors say what was wrong with a value (a channel key, a frame); the
    // stack would only point into the library.
    if (err instanceof Error && err.name === 'HubError') {
      process.stderr.write(`unibos ${name}: ${sayMessage(err.message)}\n`);
      return USER_ERRORS.has((err as Error & { code?: string }).code ?? '') || (err as Error & { code?: string }).code === 'E_SETUP_DONE' ? 2 : 1;
    }
    if (err instanceof Error && err.name === 'MeshError') {
      process.stderr.write(`unibos ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

let watchingStdout = false;

/**
 * A reader that stopped reading (`unibos gateway outbox | head -1`) is no error: what is left to
 * print has nobody to read it, so the command ends there, quietly, as a C tool on SIGPIPE does,
 * where an unhandled EPIPE printed a stack trace.
 */
function endQuietlyWhenStdoutCloses(): void {
  if (watchingStdout) return;
  watchingStdout = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit();
  });
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${say(c.summary)}`);
  return fitHelp(`${say('usage: unibos <command> [options]')}\n\n${say('commands')}:\n${lines.join('\n')}\n\n${say("Run 'unibos <command> --help' for a command's options.")}\n`);
}
