// `unibos` entry point: one binary, several roles; each subcommand lives in cli/commands/.

import { CliError } from './cli-error.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  sim: { summary: 'simulate a LoRa mesh and compare flooding strategies', load: () => import('./commands/sim.ts') },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`unibos: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`unibos ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `usage: unibos <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'unibos <command> --help' for a command's options.\n`;
}
