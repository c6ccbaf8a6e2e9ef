// The soak bench of issue 10, run the way an operator runs UNIBOS: real `unibos hub`, `unibos
// gateway`, `unibos air` and `unibos node` processes. Well-behaved sensors push numbered readings
// through the gateway while a hostile sensor with valid credentials sends poison every second,
// simulated nodes raise and end SOS, the gateway is SIGKILLed and the hub stopped for a while.
// At the end it counts, at the hub, what was accepted, delivered, duplicated and lost, where the
// poison stopped, and how long each SOS took; it ends with one line of ratios.
//
//   npm run bench:soak -- [--messages 10000] [--sos 20] [--hub-down-s 30] [--kills 2] [--rate 80]
//
// It is a bench, not a test: it exits 0 whatever the figures, and says "EXPECTATION NOT MET" when
// a reading was lost or duplicated, poison reached the hub, or an SOS did not.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, Proc, procs, unibos } from '../test/support/processes.ts';
import { FaultTimeline } from './support/fault-timeline.ts';
import { EXPECTED_REFUSAL, HostileSensor, type PoisonKind } from './support/hostile-sensor.ts';
import { HubClient } from './support/hub-client.ts';
import { LinkCutter } from './support/link-cutter.ts';
import { LoadSensor, SensorLoad } from './support/sensor-fleet.ts';
import { AlertWatcher, SosRounds, type SosNode } from './support/sos-rounds.ts';

const HELP = `usage: npm run bench:soak -- [options]

  --messages N       sensor readings to push (default 10000)
  --rate N           readings per second, all sensors together (default 80)
  --sensors N        well-behaved sensors (default 4; half mark resends DUP=1)
  --sos N            SOS to raise, spread over the run (default 20)
  --nodes N          simulated nodes raising them (default 4)
  --hub-down-s S     how long the hub is stopped, between the gateway kills (default 30)
  --kills N          gateway SIGKILLs, spread over the load (default 2)
  --link-cuts N      times the sensors' links drop with the gateway's last PUBACKs lost (default 4)
  --drain-timeout-s S  how long to wait for the gateway outbox to empty at the end (default 300)
  --keep             keep the temp dir, with every process's log lines, and print its path
`;

const { values: flags } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '80' },
    sensors: { type: 'string', default: '4' },
    sos: { type: 'string', default: '20' },
    nodes: { type: 'string', default: '4' },
    'hub-down-s': { type: 'string', default: '30' },
    kills: { type: 'string', default: '2' },
    'link-cuts': { type: 'string', default: '4' },
    'drain-timeout-s': { type: 'string', default: '300' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
function count(name: keyof typeof flags, min: number): number {
  const v = Number(flags[name]);
  if (!Number.isFinite(v) || v < min) {
    process.stderr.write(`--${name} must be a number >= ${min}, got ${String(flags[name])}\n`);
    process.exit(2);
  }
  return v;
}
const MESSAGES = count('messages', 1);
const RATE = count('rate', 1);
const SENSORS = count('sensors', 1);
const SOS = count('sos', 0);
const NODES = count('nodes', 1);
const HUB_DOWN_S = count('hub-down-s', 0);
const KILLS = count('kills', 0);
const LINK_CUTS = count('link-cuts', 0);
const DRAIN_TIMEOUT_S = count('drain-timeout-s', 1);

const root = mkdtempSync(join(tmpdir(), 'unibos-soak-'));
const sensors: LoadSensor[] = [];
let cutter: LinkCutter | undefined;
let cleaned = false;

async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const s of sensors) s.client.end(true);
  await cutter?.close();
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  if (flags.keep) {
    const logs = join(root, 'logs');
    mkdirSync(logs, { recursive: true });
    procs.forEach((p, i) => writeFileSync(join(logs, `${i}-${String(p.child.spawnargs[2] ?? 'proc')}.jsonl`), `${p.lines.map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr}`));
    process.stderr.write(`kept ${root}\n`);
  } else rmSync(root, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: stopping every process of the bench\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** One Prometheus sample of the gateway (0 when absent). */
async function metrics(port: number): Promise<(name: string, labels?: string) => number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const lines = text.split('\n');
  return (name, labels = '') => {
    const line = lines.find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ').pop()) : 0;
  };
}

async function must(what: string, r: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const out = await r;
  if (out.code !== 0) throw new Error(`${what} exited ${out.code}: ${out.stderr}`);
  return out.stdout;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const fmtS = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'n/a');

async function main(): Promise<void> {
  const plannedMs = (MESSAGES / RATE) * 1000;
  process.stderr.write(`soak: ${MESSAGES} readings at ${RATE}/s (~${Math.round(plannedMs / 1000)} s), ${SOS} SOS, ${KILLS} gateway SIGKILLs, ${LINK_CUTS} link cuts, hub down ${HUB_DOWN_S} s; temp ${root}\n`);

  // The hub, on fixed ports so it comes back where the gateway keeps looking for it.
  const hubDir = join(root, 'hub');
  const passwordFile = join(root, 'password');
  const password = 'a long enough soak password';
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  await must('unibos hub init', unibos(['hub', 'init', '--email', 'ops@example.org', '--password-file', passwordFile, '--org', 'Soak', '--data-dir', hubDir]));
  const [httpPort, mqttPort, gwMqttPort, gwHttpPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const hubArgs = ['hub', '--data-dir', hubDir, '--port', String(httpPort), '--mqtt-port', String(mqttPort)];
  let hub = new Proc(hubArgs);
  const url = String((await hub.waitFor((l) => l.msg === 'hub ready', 'the hub')).url);
  const api = new HubClient(url, 'ops@example.org', password);

  // A claimed gateway, and credentials for the sensors.
  const gwDir = join(root, 'gw');
  const claim = await api.call<{ token: string }>('POST', '/api/v1/claim-tokens', { kind: 'gateway' });
  await must('unibos gateway claim', unibos(['gateway', 'claim', '--hub-api', url, '--token', claim.body.token, '--data-dir', gwDir]));
  const addSensor = async (id: string) => {
    const out = await must(`unibos gateway device add ${id}`, unibos(['gateway', 'device', 'add', id, '--role', 'sensor', '--data-dir', gwDir]));
    return { id, password: /password: (\S+)/.exec(out)![1]! };
  };
  const sensorCreds = [];
  for (let i = 1; i <= SENSORS; i++) sensorCreds.push(await addSensor(`soak${i}`));
  const hostileCreds = await addSensor('hostile');

  const air = new Proc(['air', '--port', '0', '--preset', 'ShortFast']);
  const airPort = String((await air.waitFor((l) => l.msg === 'simulated air listening', 'the air')).port);
  const radio = ['--preset', 'ShortFast', '--air', `127.0.0.1:${airPort}`, '--lat', '41'];
  const gatewayArgs = ['gateway', '--data-dir', gwDir, ...radio, '--lon', '29', '--http-port', String(gwHttpPort), '--mqtt-port', String(gwMqttPort), '--ws-port', 'off'];
  const gateways: Proc[] = [];
  const startGateway = (): Proc => {
    const p = new Proc(gatewayArgs);
    gateways.push(p);
    return p;
  };
  let gw = startGateway();
  await gw.waitFor((l) => l.msg === 'gateway started', 'the gateway');
  await gw.waitFor((l) => l.msg === 'connected to hub', 'the gateway connected to the hub');

  const nodes: SosNode[] = [];
  for (let i = 0; i < NODES; i++) {
    const dataDir = join(root, `node${i}`);
    const proc = new Proc(['node', '--data-dir', dataDir, ...radio, '--lon', String(29.001 + i * 0.001), '--gps', 'sim', '--name', `Walker ${i}`, '--http-port', 'off']);
    nodes.push({ proc, dataDir, nodeId: '', busy: false, raised: 0 });
  }
  for (const n of nodes) n.nodeId = String((await n.proc.waitFor((l) => l.msg === 'node started', 'a node')).nodeId);

  // The well-behaved sensors reach the gateway through a relay that can drop their links.
  cutter = await LinkCutter.start(gwMqttPort);
  const linkCutter = cutter;
  for (const [i, creds] of sensorCreds.entries()) sensors.push(new LoadSensor(creds, linkCutter.port, i % 2 === 1));
  await Promise.all(sensors.map((s) => new Promise<void>((resolve) => (s.client.connected ? resolve() : s.client.once('connect', () => resolve())))));

  // The run.
  const faults = new FaultTimeline();
  const watcher = new AlertWatcher(api);
  const load = new SensorLoad(sensors, MESSAGES, RATE);
  const hostile = new HostileSensor(hostileCreds, gwMqttPort);
  const sos = new SosRounds(nodes, SOS, plannedMs, watcher, faults, 240_000);
  const t0 = Date.now();
  load.start();
  hostile.start();
  sos.start();

  const progress = setInterval(() => {
    void metrics(gwHttpPort).then(
      (m) => m('unibos_hub_outbox_depth'),
      () => NaN,
    ).then((depth) => {
      const accepted = sensors.reduce((a, s) => a + s.accepted.size, 0);
      const pending = sensors.reduce((a, s) => a + s.pending.size, 0);
      process.stderr.write(`  ${fmtS(Date.now() - t0).padStart(7)}: published ${load.published}, accepted ${accepted}, unacked ${pending}, outbox ${Number.isNaN(depth) ? '(gateway down)' : depth}, SOS raised ${sos.rounds.length}\n`);
    });
  }, 10_000);

  // The faults, in time order: gateway kills at k/(kills+1) of the load, the hub outage centred.
  type Fault = { atMs: number; run: () => Promise<void> };
  const hubReturns: Array<{ readyMs: number; reconnectedMs: number }> = [];
  const plan: Fault[] = [];
  for (let k = 1; k <= KILLS; k++) {
    plan.push({
      atMs: (plannedMs * k) / (KILLS + 1),
      run: async () => {
        const reserved = await sos.reserve(30_000);
        const w = faults.begin('gateway dead');
        gw.child.kill('SIGKILL');
        await gw.exited;
        process.stderr.write(`  ${fmtS(Date.now() - t0).padStart(7)}: gateway SIGKILLed\n`);
        const raised = await sos.raiseNow('gateway SIGKILL', reserved);
        if (!raised) process.stderr.write('  (no idle node to raise an SOS while the gateway was dead)\n');
        gw = startGateway();
        await gw.waitFor((l) => l.msg === 'gateway started', 'the gateway after SIGKILL', 0, 120_000);
        faults.end(w);
      },
    });
  }
  if (HUB_DOWN_S > 0) {
    plan.push({
      atMs: Math.max(0, plannedMs / 2 - (HUB_DOWN_S * 1000) / 2),
      run: async () => {
        const reserved = await sos.reserve(30_000);
        const w = faults.begin('hub down');
        const stoppedMs = Date.now();
        await hub.stop();
        process.stderr.write(`  ${fmtS(Date.now() - t0).padStart(7)}: hub stopped\n`);
        await sos.raiseNow('hub down', reserved);
        await sleep(stoppedMs + HUB_DOWN_S * 1000 - Date.now());
        const from = gw.lines.length;
        hub = new Proc(hubArgs);
        await hub.waitFor((l) => l.msg === 'hub ready', 'the hub again', 0, 120_000);
        const backMs = Date.now();
        process.stderr.write(`  ${fmtS(backMs - t0).padStart(7)}: hub back\n`);
        // The next kill waits for this: a restarted gateway connects at once and would hide how
        // long the running one takes to find its hub again.
        await gw.waitFor((l) => l.msg === 'connected to hub', 'the gateway back on the hub', from, 300_000);
        faults.end(w);
        hubReturns.push({ readyMs: backMs, reconnectedMs: Date.now() });
      },
    });
  }
  plan.sort((a, b) => a.atMs - b.atMs);
  // Link cuts run on their own clock, between the other faults.
  const cutsDone = (async () => {
    for (let k = 1; k <= LINK_CUTS; k++) {
      await sleep(t0 + (plannedMs * (2 * k - 1)) / (2 * LINK_CUTS) - Date.now());
      await linkCutter.cut();
      process.stderr.write(`  ${fmtS(Date.now() - t0).padStart(7)}: sensor links cut\n`);
    }
  })();
  // Each fault raises an SOS as it begins: keep a node free for it.
  for (const f of plan) sos.holdIdle(t0 + f.atMs - 15_000, t0 + f.atMs + 5_000);
  for (const f of plan) {
    await sleep(t0 + f.atMs - Date.now());
    await f.run();
  }

  await load.done;
  await cutsDone;
  // The last readings are acknowledged (or given up on) before the counting starts.
  const ackDeadline = Date.now() + 120_000;
  while (sensors.some((s) => s.pending.size > 0) && Date.now() < ackDeadline) await sleep(200);
  await hostile.stop();
  await sos.finished();
  const loadMs = Date.now() - t0;

  // Drain: the gateway's outbox empties into the hub.
  let depth = NaN;
  const drainDeadline = Date.now() + DRAIN_TIMEOUT_S * 1000;
  for (;;) {
    depth = await metrics(gwHttpPort).then((m) => m('unibos_hub_outbox_depth'), () => NaN);
    if (depth === 0 || Date.now() > drainDeadline) break;
    await sleep(500);
  }
  const drainedMs = Date.now() - t0;
  clearInterval(progress);

  // What the gateway says (the last process's counters; door refusals are summed over every
  // gateway process from their log lines, since each SIGKILL resets the counters).
  const m = await metrics(gwHttpPort);
  const deadLetters = m('unibos_hub_outbox_dead_letters');
  const droppedFull = m('unibos_hub_outbox_dropped_full');
  const doorByReason: Record<string, number> = {};
  for (const p of gateways) {
    for (const l of p.lines) {
      const match = l.msg === 'publish denied' && typeof l.reason === 'string' ? /the hub would refuse it \((\w+)\)/.exec(l.reason) : null;
      if (match && l.clientId !== null && String(l.clientId).startsWith(`${hostileCreds.id}:`)) doorByReason[match[1]!] = (doorByReason[match[1]!] ?? 0) + 1;
    }
  }
  const lastDoor = ['topic_depth', 'too_large', 'bad_payload', 'topic_shape'].map((r) => `${r} ${m('unibos_broker_hub_refusals', `{reason="${r}"}`)}`).join(', ');

  // What the hub has. Its ingest may lag its PUBACKs a moment: read until two reads agree.
  const readingsOf = async () => Promise.all(sensors.map((s) => api.readings(s.creds.id)));
  let hubReadings = await readingsOf();
  for (let i = 0; i < 20; i++) {
    await sleep(1_000);
    const again = await readingsOf();
    const same = again.every((r, j) => r.length === hubReadings[j]!.length);
    hubReadings = again;
    if (same) break;
  }
  const hostileAtHub = (await api.readings(hostileCreds.id)).length;
  const strangers = (await api.sensorIds()).filter((id) => !sensors.some((s) => s.creds.id === id));

  // Per sensor: accepted (PUBACK), delivered (distinct n at the hub), duplicated, lost.
  type Row = { id: string; dup: string; published: number; accepted: number; resent: number; delivered: number; duplicated: number; lost: number; unackedDelivered: number; foreign: number };
  const rows: Row[] = sensors.map((s, j) => {
    const seen = new Map<number, number>();
    let foreign = 0;
    for (const r of hubReadings[j]!) {
      const n = (r.raw as { n?: unknown } | undefined)?.n;
      if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < s.sent) seen.set(n, (seen.get(n) ?? 0) + 1);
      else foreign++;
    }
    let duplicated = 0;
    for (const c of seen.values()) duplicated += c - 1;
    let lost = 0;
    for (const n of s.accepted) if (!seen.has(n)) lost++;
    let unackedDelivered = 0;
    for (const n of seen.keys()) if (!s.accepted.has(n)) unackedDelivered++;
    return { id: s.creds.id, dup: s.marksResends ? 'DUP=1' : 'mqtt.js', published: s.sent, accepted: s.accepted.size, resent: s.resent, delivered: seen.size, duplicated, lost, unackedDelivered, foreign };
  });
  const sum = (k: keyof Row): number => rows.reduce((a, r) => a + (r[k] as number), 0);
  const accepted = sum('accepted');
  const delivered = sum('delivered');
  const duplicated = sum('duplicated');
  const lost = sum('lost');

  // Poison.
  const kinds: PoisonKind[] = ['deep_topic', 'payload_256k', 'non_finite', 'nested_40'];
  const poisonSent = hostile.outcomes.filter((o) => o.outcome !== 'unsent').length;
  const poisonRefused = hostile.count('refused');
  const poisonAcked = hostile.count('acked');
  const doorTotal = Object.values(doorByReason).reduce((a, b) => a + b, 0);

  // SOS.
  const rounds = sos.rounds;
  const atHub = rounds.filter((r) => r.hubMs !== undefined);
  const delays = atHub.map((r) => r.hubMs! - r.raisedMs).sort((a, b) => a - b);
  const calm = atHub.filter((r) => !faults.touches(r.raisedMs, r.hubMs!)).map((r) => r.hubMs! - r.raisedMs).sort((a, b) => a - b);
  const worst = delays.length ? delays[delays.length - 1]! : NaN;
  // The ratio is against the outage the operator asked for; the table shows how long the gateway
  // was really without its hub (restart and reconnect included).
  const outageMs = HUB_DOWN_S * 1000;
  // When a gateway durably took each SOS (its answer to the node), from every gateway process's log.
  const takenMs = (requestId: number): number | undefined => {
    for (const p of gateways) {
      const l = p.lines.find((x) => x.msg === 'SOS answered: gateway' && x.requestId === requestId);
      if (l && typeof l.time === 'number') return l.time;
    }
    return undefined;
  };

  // The report.
  const out: string[] = [];
  const line = (s = ''): void => void out.push(s);
  line(`soak: ${MESSAGES} readings at ${RATE}/s from ${SENSORS} sensors, ${SOS} SOS from ${NODES} nodes, ${KILLS} gateway SIGKILLs, ${LINK_CUTS} sensor link cuts, hub down ${HUB_DOWN_S} s`);
  line(`load finished after ${fmtS(loadMs)}, outbox drained after ${fmtS(drainedMs)}${depth === 0 ? '' : ` (NOT drained: depth ${depth})`}`);
  line('faults (a gateway is dead until its new process started; the hub is down until the gateway is connected to it again):');
  for (const w of faults.windows) line(`  ${w.kind.padEnd(13)} ${fmtS(w.startMs - t0).padStart(8)} .. ${w.endMs === undefined ? 'end' : fmtS(w.endMs - t0)}  (${fmtS((w.endMs ?? Date.now()) - w.startMs)})`);
  if (LINK_CUTS > 0) line(`  sensor links cut ${linkCutter.cuts} times: the gateway's replies swallowed for 300 ms, then every sensor link dropped`);
  for (const h of hubReturns) line(`  the gateway reconnected ${fmtS(h.reconnectedMs - h.readyMs)} after the hub was ready again (its reconnect backoff)`);
  line();
  line('sensor readings      resends  published  accepted  resent  delivered  duplicated  lost  delivered-unacked');
  for (const r of rows) line(`  ${r.id.padEnd(18)} ${r.dup.padEnd(8)} ${String(r.published).padStart(9)} ${String(r.accepted).padStart(9)} ${String(r.resent).padStart(7)} ${String(r.delivered).padStart(10)} ${String(r.duplicated).padStart(11)} ${String(r.lost).padStart(5)} ${String(r.unackedDelivered).padStart(18)}`);
  line(`  ${'all'.padEnd(27)} ${String(sum('published')).padStart(9)} ${String(accepted).padStart(9)} ${String(sum('resent')).padStart(7)} ${String(delivered).padStart(10)} ${String(duplicated).padStart(11)} ${String(lost).padStart(5)} ${String(sum('unackedDelivered')).padStart(18)}`);
  line('  (resent: unacknowledged when a connection ended, so sent again after the reconnect: the readings that test exactly-once)');
  if (sum('foreign') > 0) line(`  ${sum('foreign')} readings at the hub were not the bench's numbered readings`);
  line('  note: mqtt.js 5.16 resends unacknowledged QoS 1 messages after a reconnect with the same packet id but DUP=0;');
  line('        the "DUP=1" sensors use an outgoing store that marks those resends DUP=1, as MQTT 3.1.1 (3.3.1-1) requires.');
  line(`  outbox: dropped because full ${droppedFull}; dead letters in gateway.db ${deadLetters}`);
  line();
  line(`poison (hostile sensor, valid credentials): sent ${poisonSent}, not acknowledged ${poisonRefused}, ACKNOWLEDGED ${poisonAcked}, not sent (gateway down) ${hostile.count('unsent')}`);
  for (const k of kinds) line(`  ${k.padEnd(13)} sent ${String(hostile.outcomes.filter((o) => o.kind === k && o.outcome !== 'unsent').length).padStart(4)}  refused ${String(hostile.count('refused', k)).padStart(4)}  acked ${String(hostile.count('acked', k)).padStart(3)}  (door reason expected: ${EXPECTED_REFUSAL[k]})`);
  line(`  refused at the gateway's door (log lines, all gateway processes): ${Object.entries(doorByReason).map(([r, n]) => `${r} ${n}`).join(', ') || 'none'}`);
  line(`  door counters of the last gateway process: ${lastDoor}`);
  line(`  dead-lettered: ${deadLetters}; hostile readings at the hub: ${hostileAtHub}; other unknown sensors at the hub: ${strangers.length ? strangers.join(', ') : 'none'}`);
  line();
  line(`SOS: raised ${rounds.length}, at the hub ${atHub.length}, resolved at the hub after "safe" ${rounds.filter((r) => r.resolvedAtHub).length}`);
  line('  node          request  raised at  during               to gateway  to hub   delay');
  for (const r of rounds) {
    const during = r.raisedDuring.length ? r.raisedDuring.join('+') : r.hubMs !== undefined && faults.touches(r.raisedMs, r.hubMs) ? 'calm, then a fault' : 'calm';
    const taken = takenMs(r.requestId);
    const split = `${(taken === undefined ? '?' : fmtS(taken - r.raisedMs)).padStart(10)} ${(taken === undefined || r.hubMs === undefined ? '?' : fmtS(r.hubMs - taken)).padStart(7)}`;
    const notes = [r.merged ? 'merged into the node\u2019s earlier SOS, still open at the hub; delay as seen by the bench' : '', r.hubMs !== undefined && !r.resolvedAtHub ? '"I am safe" never resolved it at the hub' : ''].filter(Boolean).join('; ');
    const split2 = r.merged ? `${split.slice(0, 11)}       ?` : split;
    line(`  ${r.nodeId.padEnd(12)} ${String(r.requestId).padStart(10)} ${fmtS(r.raisedMs - t0).padStart(8)}  ${during.padEnd(19)} ${split2}  ${r.hubMs === undefined ? `MISSING${r.error ? ` (${r.error})` : ''}` : fmtS(r.hubMs - r.raisedMs)}${notes ? `  (${notes})` : ''}`);
  }
  line('  (to gateway: from `unibos sos` to the gateway durably taking it, the mesh part; to hub: the uplink part)');
  line(`  delay: p50 ${fmtS(pct(delays, 50))}, worst ${fmtS(worst)}; calm (no fault until it arrived, n=${calm.length}): p50 ${fmtS(pct(calm, 50))}, worst ${fmtS(calm.length ? calm[calm.length - 1]! : NaN)}`);
  line();

  const failures: string[] = [];
  if (lost > 0) failures.push(`${lost} accepted readings lost`);
  if (duplicated > 0) failures.push(`${duplicated} readings duplicated at the hub (${rows.filter((r) => r.duplicated > 0).map((r) => `${r.id} ${r.dup} ${r.duplicated}`).join(', ')})`);
  if (poisonAcked > 0 || hostileAtHub > 0) failures.push(`poison got through: ${poisonAcked} acknowledged by the gateway, ${hostileAtHub} at the hub`);
  if (atHub.length < SOS) failures.push(`${SOS - atHub.length} of ${SOS} SOS not at the hub`);
  if (depth !== 0) failures.push(`gateway outbox not drained (depth ${depth} after ${DRAIN_TIMEOUT_S} s)`);
  if (droppedFull > 0) failures.push(`${droppedFull} readings dropped because the outbox was full`);
  for (const f of failures) line(`EXPECTATION NOT MET: ${f}`);
  const unresolved = atHub.filter((r) => !r.resolvedAtHub).length;
  if (unresolved > 0) line(`NOTE: ${unresolved} "I am safe" did not resolve its SOS at the hub within 240 s (the node sends it once; the SOS stays open at the hub)`);

  const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(3)}x` : 'n/a');
  line(
    `ratios: delivered/accepted ${ratio(delivered, accepted)}; duplicated/accepted ${ratio(duplicated, accepted)}; lost ${lost}; ` +
      `poison stopped ${poisonRefused}/${poisonSent} (door ${doorTotal}, dead-lettered ${deadLetters}); SOS at hub ${atHub.length}/${SOS}; ` +
      `worst SOS delay ${fmtS(worst)} = ${(worst / outageMs).toFixed(2)}x hub outage; calm SOS p50 ${fmtS(pct(calm, 50))}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`soak bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
// The bench's own timers (load, poison, SOS polling) may still be armed after a failure.
process.exit();
