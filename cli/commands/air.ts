// `unibos air`: the simulated radio medium that `unibos node --radio sim` processes join.

import { DEFAULT_AIR_PORT, SimAir, createLogger } from '@unibos/firmware';
import { LORA_PRESETS, loraParams, type LoRaPresetName } from '@unibos/mesh-protocol';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { fitHelp } from '../help-width.ts';
import { integer, number, oneOf, parseCommand } from '../cli-args.ts';

const HELP = fitHelp(say(`usage: unibos air [options]

Runs the simulated LoRa air on loopback. Nodes started with \`unibos node --radio sim --lat --lon\`
join it; who hears whom follows their distance under the simulator's propagation model (a
LongFast node reaches about 8 km), with collisions, half-duplex and airtime as on real radios.

  --port N          TCP port on 127.0.0.1 (default {port}; 0 = any free port)
  --preset NAME     {presets} (default LongFast)
  --frequency HZ    centre frequency (default 869525000)
  --loss P          extra chance that a reception is lost, 0..1 (default 0)
  --shadowing DB    per-link shadowing sigma in dB (default 0: distance alone decides)
  --seed N          shadowing seed (default 1)
`, { port: DEFAULT_AIR_PORT, presets: Object.keys(LORA_PRESETS).join(' | ') }));

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, HELP, Object.fromEntries(['port', 'preset', 'frequency', 'loss', 'shadowing', 'seed'].map((f) => [f, { type: 'string' as const }])));
  if (!parsed) return 0;
  const v = parsed.values as Record<string, string | undefined>;
  const preset = oneOf('--preset', v.preset, Object.keys(LORA_PRESETS), 'LongFast') as LoRaPresetName;
  const params = loraParams(preset, { frequencyHz: integer('--frequency', v.frequency, 869_525_000, 137_000_000, 1_020_000_000) });
  const port = integer('--port', v.port, DEFAULT_AIR_PORT, 0, 65_535);
  const logger = createLogger('unibos-air');
  const air = new SimAir({
    params,
    port,
    lossProbability: number('--loss', v.loss, 0, 0, 1),
    shadowingSigmaDb: number('--shadowing', v.shadowing, 0, 0, 20),
    seed: integer('--seed', v.seed, 1, 0, 2 ** 32 - 1),
    onEvent: (e) => logger.info(e, e.event),
  });
  let bound: number;
  try {
    bound = await air.listen();
  } catch (err) {
    throw new CliError(say('cannot listen on 127.0.0.1:{port}: {reason}', { port, reason: (err as Error).message }));
  }
  logger.info({ port: bound, preset, frequencyHz: params.frequencyHz }, 'simulated air listening');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info({ stats: air.stats }, 'simulated air stopping');
  await air.close();
  return 0;
}
