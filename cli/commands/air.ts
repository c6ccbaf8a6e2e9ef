// `unibos air`: the simulated radio medium that `unibos node --radio sim` processes join.

import { parseArgs } from 'node:util';
import { DEFAULT_AIR_PORT, SimAir, createLogger } from '@unibos/firmware';
import { LORA_PRESETS, loraParams, type LoRaPresetName } from '@unibos/mesh-protocol';
import { CliError } from '../cli-error.ts';

const HELP = `usage: unibos air [options]

Runs the simulated LoRa air on loopback. Nodes started with \`unibos node --radio sim --lat --lon\`
join it; who hears whom follows their distance under the simulator's propagation model (a
LongFast node reaches about 8 km), with collisions, half-duplex and airtime as on real radios.

  --port N          TCP port on 127.0.0.1 (default ${DEFAULT_AIR_PORT}; 0 = any free port)
  --preset NAME     ${Object.keys(LORA_PRESETS).join(' | ')} (default LongFast)
  --frequency HZ    centre frequency (default 869525000)
  --loss P          extra chance that a reception is lost, 0..1 (default 0)
  --shadowing DB    per-link shadowing sigma in dB (default 0: distance alone decides)
  --seed N          shadowing seed (default 1)
`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        preset: { type: 'string' },
        frequency: { type: 'string' },
        loss: { type: 'string' },
        shadowing: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${HELP}`);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const number = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new CliError(`--${name} must be a number ${min}..${max}, got '${raw}'`);
    return n;
  };
  const preset = (v.preset ?? 'LongFast') as LoRaPresetName;
  if (!(preset in LORA_PRESETS)) throw new CliError(`--preset must be one of ${Object.keys(LORA_PRESETS).join(', ')}`);
  const params = loraParams(preset, { frequencyHz: number('frequency', v.frequency, 869_525_000, 137e6, 1.02e9) });
  const logger = createLogger('unibos-air');
  const air = new SimAir({
    params,
    port: number('port', v.port, DEFAULT_AIR_PORT, 0, 65_535),
    lossProbability: number('loss', v.loss, 0, 0, 1),
    shadowingSigmaDb: number('shadowing', v.shadowing, 0, 0, 20),
    seed: number('seed', v.seed, 1, 0, 2 ** 32 - 1),
    onEvent: (e) => logger.info(e, e.event),
  });
  let port: number;
  try {
    port = await air.listen();
  } catch (err) {
    throw new CliError(`cannot listen on 127.0.0.1:${v.port ?? DEFAULT_AIR_PORT}: ${(err as Error).message}`);
  }
  logger.info({ port, preset, frequencyHz: params.frequencyHz }, 'simulated air listening');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info({ stats: air.stats }, 'simulated air stopping');
  await air.close();
  return 0;
}
