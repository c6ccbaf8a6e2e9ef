// `unibos radio`: the LoRa boards this node can drive over SPI, and a probe that finds the chip on
// one (or on its register-level twin) and says how to fix what is missing.

import { Device, BOARDS, loadNodeConfig, probeRadio, resolveBoard, type ProbeReport } from '@unibos/firmware';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { fitHelp } from '../help-width.ts';
import { parseCommand } from '../cli-args.ts';

const HELP = fitHelp(say(`usage: unibos radio boards
       unibos radio probe --board NAME|PATH [--twin] [--region R] [--preset P] [--frequency HZ] [--tx-power DBM] [--data-dir DIR] [--config PATH]

'boards' lists the SX1262/SX1276 boards \`unibos node --radio spi --board NAME\` knows.
'probe' opens the board's SPI device and GPIO lines, resets the chip, reads what identifies it,
configures it with the node's frequency plan and starts it listening, printing each step and, when
one fails, what to change ("enable SPI (dtparam=spi=on)", "check the RESET pin ..."). --twin runs
the same driver against the chip's register-level twin instead of the hardware. The board, region
and plan come from the node's config (<data-dir>/config.json, environment) unless given here.
Exit code 0 when the chip answered and listens, 1 otherwise.
`));

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'boards') return boards();
  if (sub === 'probe') return probe(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  throw new CliError(say("unknown subcommand '{name}'\n\n{help}", { name: sub, help: HELP }));
}

function boards(): number {
  for (const b of BOARDS) process.stdout.write(`${b.name.padEnd(26)} ${b.chip.toUpperCase().padEnd(7)} ${b.title}\n`);
  process.stdout.write(`\n${say('A custom board: --board path/to/board.json (same fields; see firmware/docs/boards/).')}\n`);
  return 0;
}

async function probe(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, {
    board: { type: 'string' },
    twin: { type: 'boolean' },
    region: { type: 'string' },
    preset: { type: 'string' },
    frequency: { type: 'string' },
    'tx-power': { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string' },
  });
  if (!parsed) return 0;
  const v = parsed.values;
  const flags: Record<string, string | undefined> = { radio: 'spi' };
  for (const k of ['board', 'region', 'preset', 'frequency', 'tx-power', 'data-dir'] as const) if (typeof v[k] === 'string') flags[k] = v[k] as string;
  const config = loadNodeConfig({ flags, ...(typeof v.config === 'string' ? { file: v.config } : {}) });
  const board = resolveBoard(config.radio.board!);
  const report = await probeRadio({ board, params: Device.radioParams(config), region: config.region, preset: config.preset, twin: v.twin === true });
  process.stdout.write(format(report));
  return report.ok ? 0 : 1;
}

export function format(r: ProbeReport): string {
  const lines = r.summary.map(([k, v]) => `${k.padEnd(9)}${v}`);
  lines.push('');
  for (const s of r.steps) {
    lines.push(`${s.ok ? 'ok  ' : 'FAIL'} ${s.what}`);
    if (!s.ok && s.fix) lines.push(`     fix: ${s.fix}`);
  }
  lines.push('');
  lines.push(r.ok ? `probe ok: the ${r.board.chip.toUpperCase()} answers and listens (${r.commands} SPI commands)` : 'probe failed: see the fix above');
  return `${lines.join('\n')}\n`;
}
