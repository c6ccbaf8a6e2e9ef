// The CLI in Turkish (issue 19): with UNIBOS_LANG=tr a real node's status, SOS, send and inbox,
// the peers table, checked values and the node's own errors all come out in Turkish, the English
// output stays as it was, and every sentence the CLI says has a Turkish translation with the same
// placeholders.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONFIG_KEYS, controlSocketPath, sosSummary, type SosStatus } from '@unibos/firmware';
import { CLI_TURKISH } from '../cli-language.ts';
import { sosLine } from '../sos-line.ts';
import { duration } from '../cli-duration.ts';
import { Proc, procs } from './support/processes.ts';

const CLI = fileURLToPath(new URL('../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/unibos.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'unibos-lang-'));
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function unibos(args: string[], lang: 'en' | 'tr'): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, UNIBOS_LANG: lang };
  delete env.UNIBOS_DATA_DIR;
  delete env.UNIBOS_DEMO_DIR;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('a real node answers in Turkish: status, SOS, send, inbox and its own errors', { timeout: 120_000 }, async () => {
  const dir = join(root, 'node');
  // No simulated air: the node runs, its radio waits, and everything it is told stays queued.
  const node = new Proc(['node', '--data-dir', dir, '--name', 'Clinic', '--lat', '41', '--lon', '29', '--http-port', 'off', '--air', '127.0.0.1:1']);
  await node.waitFor((l) => l.msg === 'node started', 'the node');

  const en = await unibos(['status', '--data-dir', dir], 'en');
  assert.equal(en.code, 0, en.stderr);
  assert.match(en.stdout, /^node {6}!\w{8} {2}Clinic {2}\(client\), up \d+ (s|min)$/m, 'English as before');
  assert.match(en.stdout, /^outbox {4}0 queued$/m);
  assert.match(en.stdout, /^sos {7}none$/m);

  const tr = await unibos(['status', '--data-dir', dir], 'tr');
  assert.equal(tr.code, 0, tr.stderr);
  assert.match(tr.stdout, /^cihaz {9}!\w{8} {2}Clinic {2}\(istemci\), \d+ (sn|dk) süredir açık$/m);
  assert.match(tr.stdout, /^ağ {12}kanal \S+, atlama sınırı \d, kanal kullanımı %\d/m);
  assert.match(tr.stdout, /^giden kutusu {2}0 sırada$/m, 'labels in one column as wide as the longest Turkish one');
  assert.match(tr.stdout, /^sos {11}yok$/m);
  assert.match(tr.stdout, /^telsiz {8}\S+, (hazır|kapalı|ayarlanıyor|bağlanıyor|toparlanıyor), /m, 'the radio\u2019s state in Turkish');
  assert.match(tr.stdout, /^ {14}127\.0\.0\.1:1 adresinde benzetim havası yok: `unibos air` ile birini başlatın$/m, 'why the radio waits, in Turkish');
  assert.match(tr.stdout, /^gps {11}yok$/m);

  // "I am safe" with no SOS open goes once: nothing to resend, nothing for the status to show.
  const safeAlone = await unibos(['sos', '--safe', '--data-dir', dir], 'tr');
  assert.equal(safeAlone.code, 0, safeAlone.stderr);
  assert.equal(safeAlone.stdout, '"güvendeyim" sıraya alındı: açık bir SOS olmadığından ağa bir kez gönderilir\n');
  assert.match((await unibos(['status', '--data-dir', dir], 'tr')).stdout, /^sos {11}yok$/m);

  const sos = await unibos(['sos', '--data-dir', dir], 'tr');
  assert.equal(sos.code, 0, sos.stderr);
  assert.match(sos.stdout, /^SOS başlatıldı: \d+\. kopya sırada; bir ağ geçidi alana kadar artan aralıklarla yeniden gönderilir\./);
  const after = await unibos(['status', '--data-dir', dir], 'tr');
  assert.match(after.stdout, /^sos {11}\d\d:\d\d’(da|de|ta|te) başlatıldı, henüz yayınlanmadı$/m, "no air: nothing went out, and it says so");
  // Cancelled before a gateway took it: only "I am safe" is on its way now.
  const safeSaid = await unibos(['sos', '--safe', '--data-dir', dir], 'en');
  assert.equal(safeSaid.code, 0);
  assert.match(safeSaid.stdout, /^SOS cancelled; "I am safe" queued;/, 'queued, not sent: nothing is on air');
  const safe = await unibos(['status', '--data-dir', dir], 'en');
  // No simulated air: nothing went on air, and the line says so.
  assert.match(safe.stdout, /^sos {7}safe at \d\d:\d\d, not on air yet; SOS raised at \d\d:\d\d, not on air yet$/m);
  assert.doesNotMatch(safe.stdout, /waiting for a gateway/);

  const sent = await unibos(['send', 'su lazım', '--data-dir', dir], 'tr');
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /^!\w{8} mesajı herkes için sıraya alındı \(giden kutusunda \d+\)$/m);
  const inbox = await unibos(['inbox', '--data-dir', dir], 'tr');
  assert.equal(inbox.stdout, 'mesaj yok\n');

  // The node's refusal comes over its socket in English; the CLI says it in Turkish.
  const tooLong = await unibos(['send', 'x'.repeat(300), '--data-dir', dir], 'tr');
  assert.equal(tooLong.code, 2);
  assert.equal(tooLong.stderr, 'unibos send: metin UTF-8 ile 300 bayt; bir metin en çok 200 bayt olabilir\n', 'the size in UTF-8 bytes, the limit the hub keeps too');
  const badTo = await unibos(['send', 'hi', '--to', 'nobody', '--data-dir', dir], 'tr');
  // Not an id: a name, and this node has heard no one yet.
  assert.match(badTo.stderr, /^unibos send: nobody adında bir cihaz yok: ![0-9a-f]{8} henüz hiçbir cihaz duymadı, bu yüzden hiçbir ad bilmiyor; !1a2b3c4d gibi bir cihaz kimliği verin\n$/);
  // The broadcast address is everyone's, not a node: said so; an id in capitals is said back as ids are written.
  const everyone = await unibos(['send', 'hi', '--to', '!FFFFFFFF', '--data-dir', dir], 'en');
  assert.equal(everyone.code, 2);
  assert.equal(everyone.stderr, 'unibos send: !FFFFFFFF is the address of everyone: leave out --to to send to everyone\n');
  const capitals = await unibos(['send', 'hi', '--to', '!DEADBEEF', '--data-dir', dir], 'en');
  assert.match(capitals.stdout, /^queued message ![0-9a-f]{8} for !deadbeef \(\d+ in the outbox\)\n$/);
  const badLast = await unibos(['inbox', '--last', '0', '--data-dir', dir], 'tr');
  assert.equal(badLast.stderr, "unibos inbox: --last 1 ile 1000 arasında bir tam sayı olmalı, verilen: '0'\n");
  assert.equal(await node.stop(), 0);

  const none = await unibos(['status', '--data-dir', join(root, 'nobody')], 'tr');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^unibos status: \S+nobody klasörüyle çalışan cihaz yok \(\S+ denetim soketi yok\); `unibos node` ile birini başlatın\n$/);
});

test('the peers table in Turkish: headers, times, battery, and an open SOS first and said in full', async (t) => {
  const dir = join(root, 'peers');
  mkdirSync(dir, { recursive: true });
  // A stand-in for a node's control socket with one peer (a real one needs a second node on the air).
  const server = createServer((_req, res) => {
    // Times as of the question, as a node's are: a busy machine may take long to start the CLI.
    const now = Date.now();
    res.setHeader('content-type', 'application/json');
    // The node lists Bridge first; Harbour, asking for help, must come first in the table.
    const bridge = { nodeId: 0x2b3c4d02, longName: 'Bridge', shortName: 'BRDG', role: 'CLIENT', lastHeardMs: now - 120_000, hops: 2, snr: null, rssi: null, latitude: -33.5, longitude: -70.25, altitudeM: null, positionMs: now, batteryLevel: 50, voltage: null, sosOpen: false };
    res.end(JSON.stringify({ self: '!a50a6e65', peers: [bridge, { nodeId: 0x2b3c4d01, longName: 'Harbour', shortName: 'HARB', role: 'CLIENT', lastHeardMs: now - 300_000, hops: 1, snr: 7.5, rssi: -80, latitude: 41.01, longitude: 28.95, altitudeM: null, positionMs: now, batteryLevel: 101, voltage: null, sosOpen: true }] }));
  });
  await new Promise<void>((resolve) => server.listen(controlSocketPath(dir), resolve));
  t.after(() => server.close());
  const tr = await unibos(['peers', '--data-dir', dir], 'tr');
  assert.equal(tr.code, 0, tr.stderr);
  const [head, row, other] = tr.stdout.split('\n');
  assert.match(head!, /^CİHAZ\s+AD\s+ROL\s+SOS\s+ATLAMA\s+SNR\s+RSSI\s+SON DUYULMA\s+KONUM\s+PİL$/);
  // A decimal comma between two numbers would hide which comma separates them: degrees and K/G, D/B instead.
  assert.match(row!, /^!2b3c4d01\s+Harbour\s+istemci\s+SOS AÇIK\s+1\s+7,5 dB\s+-80 dBm\s+5 dk önce\s+41,01000°K 28,95000°D\s+şebekeden$/, 'decimals with a comma, the SOS first');
  assert.match(other!, /^!2b3c4d02\s+Bridge\s+istemci\s+2\s+2 dk önce\s+33,50000°G 70,25000°B\s+%50$/);
  const en = await unibos(['peers', '--data-dir', dir], 'en');
  assert.match(en.stdout, /^NODE\s+NAME\s+ROLE\s+SOS\s+HOPS\s+SNR\s+RSSI\s+LAST HEARD\s+POSITION\s+BATTERY\n!2b3c4d01\s+Harbour\s+client\s+SOS OPEN\s+1\s+7\.5 dB\s+-80 dBm\s+5 min ago\s+41\.01000, 28\.95000\s+powered\n!2b3c4d02\s+Bridge\s+client\s+2\s+2 min ago\s+-33\.50000, -70\.25000\s+50%\n$/);
});

/** A stand-in for a node's control socket answering GET /status and GET /peers as the demo's Clinic did. */
async function standInNode(t: { after(fn: () => void): void }, name: string, status: unknown, peers: unknown | (() => unknown), inbox: unknown = { messages: [] }): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.url === '/peers' ? (typeof peers === 'function' ? peers() : peers) : req.url?.startsWith('/inbox') ? inbox : status));
  });
  await new Promise<void>((resolve) => server.listen(controlSocketPath(dir), resolve));
  t.after(() => server.close());
  return dir;
}

test('status and peers in Turkish as on the demo: module states and reasons, decimal commas, 3B, one SOS sentence', async (t) => {
  const at = (h: number, m: number) => new Date(2026, 0, 1, h, m).getTime();
  const mod = { refused: 0, failed: 0, errors: 0, ended: 0 };
  const status = {
    nodeId: '!a50a6e65', name: 'Clinic', role: 'CLIENT', uptimeS: 7_530,
    radio: { type: 'sim', state: 'ready', preset: 'LONG_FAST', frequencyHz: 869_525_000, region: 'EU_868', error: null, warning: null },
    gps: { type: 'fixed', fix: { mode: '3d', latitude: 41.0151, longitude: 28.9795 } },
    mesh: { channel: 'LongFast', hopLimit: 3, channelUtilizationPercent: 7.9, dutyCycle: { usedS: 12.5, budgetS: 360 }, framesSent: 12, framesReceived: 30, delivered: 20, relayed: 4, drops: {} },
    outbox: { queued: 0, maxMessages: 500, oldestAgeS: null, expired: 0, refusedFull: 0 },
    sos: { stage: 'hub', cancelled: false, resending: false, requestId: 7, startedMs: at(3, 0), copiesSent: 2, stageTimes: { sent: at(3, 0), gateway: at(3, 1), hub: at(3, 1) }, safe: 'none', safeCopiesSent: 0, safeGiveUps: 0 },
    peers: 1,
    modules: [
      { name: 'birlikteyiz', version: '0.1.0', state: 'loaded', reason: null, ...mod },
      { name: 'looper', version: '1.0.0', state: 'failed', reason: 'stuck: it did not answer the node for 30 s (a loop that never ends?), so its thread was ended; it stays off until the node restarts', ...mod, ended: 1 },
      { name: 'thrower', version: '1.0.0', state: 'unloaded', reason: 'onMessage threw: boom', ...mod, errors: 1 },
    ],
  };
  // Heard ten minutes before each question, as a node answers it (five CLI runs on a busy machine may take a while).
  let peers: { self: string; peers: Array<Record<string, unknown>> } | undefined;
  const peersNow = () => (peers = { self: '!a50a6e65', peers: [{ nodeId: 0x600d0001, longName: 'Demo gateway', shortName: 'GW', role: 'GATEWAY', lastHeardMs: Date.now() - 600_000, hops: 1, snr: 5, rssi: -71.6, latitude: 41.0082, longitude: 28.9784, altitudeM: null, positionMs: null, batteryLevel: 87, voltage: 3.9, sosOpen: false }] });
  const dir = await standInNode(t, 'demo-clinic', status, peersNow);

  const tr = await unibos(['status', '--data-dir', dir], 'tr');
  assert.equal(tr.code, 0, tr.stderr);
  assert.match(tr.stdout, /^telsiz {8}sim, hazır, 869,525 MHz’de LONG_FAST, EU_868$/m);
  assert.match(tr.stdout, /^cihaz {9}!a50a6e65 {2}Clinic {2}\(istemci\), 2 sa 5 dk süredir açık$/m, 'up as a person reads it');
  assert.match(tr.stdout, /^gps {11}fixed, 3B konum 41,01510°K 28,97950°D$/m);
  assert.match(tr.stdout, /^ağ {12}kanal LongFast, atlama sınırı 3, kanal kullanımı %7,9, görev döngüsü bu saat 360 sn’nin 12,5 sn’si$/m);
  assert.match(tr.stdout, /^sos {11}03:01’de merkeze ulaştı \(ağ geçidi 03:01’de aldı\); 2 kopya gönderildi$/m);
  assert.match(tr.stdout, /^modüller {6}birlikteyiz 0\.1\.0 yüklendi$/m);
  assert.match(tr.stdout, /^ {14}looper 1\.0\.0 başarısız: takıldı: cihaza 30 sn yanıt vermedi \(hiç bitmeyen bir döngü mü\?\), bu yüzden iş parçacığı sonlandırıldı; cihaz yeniden başlayana kadar kapalı kalır$/m);
  assert.match(tr.stdout, /^ {14}thrower 1\.0\.0 kaldırıldı \(1 hata fırlattı\): onMessage hata fırlattı: boom$/m);

  const en = await unibos(['status', '--data-dir', dir], 'en');
  assert.match(en.stdout, /^radio {5}sim, ready, LONG_FAST on 869\.525 MHz, EU_868$/m, 'English as before');
  assert.match(en.stdout, /^node {6}!a50a6e65 {2}Clinic {2}\(client\), up 2 h 5 min$/m);
  assert.match(en.stdout, /^gps {7}fixed, 3d fix 41\.01510, 28\.97950$/m);
  assert.match(en.stdout, /^mesh {6}channel LongFast, hop limit 3, channel use 7\.9%, duty cycle 12\.5 of 360 s this hour$/m);
  assert.match(en.stdout, /^sos {7}received by the hub at 03:01 \(gateway 03:01\); 2 copies sent$/m);
  assert.match(en.stdout, /^modules {3}birlikteyiz 0\.1\.0 loaded$/m);
  assert.match(en.stdout, /^ {10}thrower 1\.0\.0 unloaded \(1 thrown\): onMessage threw: boom$/m);
  const json = await unibos(['status', '--data-dir', dir, '--json'], 'tr');
  assert.deepEqual(JSON.parse(json.stdout), status, '--json is the node\u2019s answer, untouched');

  const peersTr = await unibos(['peers', '--data-dir', dir], 'tr');
  assert.equal(peersTr.code, 0, peersTr.stderr);
  assert.match(peersTr.stdout.split('\n')[1]!, /^!600d0001\s+Demo gateway\s+ağ geçidi\s+1\s+5,0 dB\s+-72 dBm\s+10 dk önce\s+41,00820°K 28,97840°D\s+%87\s*$/, 'decimal commas, the percent sign first');
  const peersEn = await unibos(['peers', '--data-dir', dir], 'en');
  assert.match(peersEn.stdout.split('\n')[1]!, /^!600d0001\s+Demo gateway\s+gateway\s+1\s+5\.0 dB\s+-72 dBm\s+10 min ago\s+41\.00820, 28\.97840\s+87%\s*$/);
  const peersJson = await unibos(['peers', '--data-dir', dir, '--json'], 'tr');
  assert.deepEqual(JSON.parse(peersJson.stdout), { ...peers!, peers: peers!.peers.map((p) => ({ ...p, nodeId: '!600d0001' })) }, 'as the node says it, with ids as the table writes them');
});

test('status says how long the oldest queued message has waited as a person reads it, not in seconds', async (t) => {
  const status = {
    nodeId: '!a50a6e65', name: 'Clinic', role: 'CLIENT', uptimeS: 600,
    radio: { type: 'sim', state: 'ready', preset: 'LONG_FAST', frequencyHz: 869_525_000, region: 'EU_868', error: null, warning: null },
    gps: { type: 'none', fix: null },
    mesh: { channel: 'LongFast', hopLimit: 3, channelUtilizationPercent: 0, framesSent: 0, framesReceived: 0, delivered: 0, relayed: 0, drops: {} },
    // The radio has been down for a while: three texts wait, the oldest for 2 h 5 min.
    outbox: { queued: 3, maxMessages: 500, oldestAgeS: 7_530, expired: 0, refusedFull: 0 },
    sos: { stage: 'none', cancelled: false, resending: false, requestId: 0, startedMs: null, copiesSent: 0, stageTimes: {}, safe: 'none', safeCopiesSent: 0, safeGiveUps: 0 },
    peers: 0,
  };
  const dir = await standInNode(t, 'outbox-waiting', status, { self: '!a50a6e65', peers: [] });
  const en = await unibos(['status', '--data-dir', dir], 'en');
  assert.equal(en.code, 0, en.stderr);
  assert.match(en.stdout, /^outbox {4}3 queued, oldest 2 h 5 min$/m);
  const tr = await unibos(['status', '--data-dir', dir], 'tr');
  assert.equal(tr.code, 0, tr.stderr);
  assert.match(tr.stdout, /^giden kutusu {2}3 sırada, en eskisi 2 sa 5 dk$/m);
});

test('the inbox names who wrote each message as the node knows them, with the id to answer to', async (t) => {
  const farm = { nodeId: 0xe2c751c9, longName: 'Farm', shortName: 'FARM', role: 'CLIENT', lastHeardMs: Date.now(), hops: 1, snr: 5, rssi: -90, latitude: null, longitude: null, altitudeM: null, positionMs: null, batteryLevel: null, voltage: null, sosOpen: false };
  const message = (seq: number, from: number, text: string) => ({ seq, from, to: 0xa50a6e65, packetId: seq, requestId: 0, kind: 'text', level: null, text, rxMs: Date.now() - 60_000, hops: 1, rssi: -90, snr: 5 });
  const dir = await standInNode(t, 'inbox-names', {}, { self: '!a50a6e65', peers: [farm] }, { messages: [message(1, 0xe2c751c9, 'water at the farm'), message(2, 0x0badcafe, 'who is this')] });
  const en = await unibos(['inbox', '--data-dir', dir], 'en');
  assert.equal(en.code, 0, en.stderr);
  assert.match(en.stdout, /^1 +Farm !e2c751c9 +text +water at the farm/m);
  assert.match(en.stdout, /^2 +!0badcafe +text +who is this/m, 'a writer the node never heard announce keeps its id');
});

test('unibos module says a module\u2019s state in Turkish, and in English as before', async () => {
  const dataDir = join(root, 'module-hub');
  mkdirSync(dataDir, { recursive: true });
  const list = await unibos(['module', 'list', '--data-dir', dataDir], 'tr');
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^birlikteyiz\s+0\.1\.0\s+kapalı$/m);
  // Which hub's modules these are: none has kept any in this folder yet (the demo's hub keeps its own elsewhere).
  assert.ok(list.stdout.includes(`(${dataDir} içinde modül tutan bir merkez yok: orada hiçbir şey etkin değil;`), list.stdout);
  const enabled = await unibos(['module', 'enable', 'birlikteyiz', '--data-dir', dataDir], 'tr');
  assert.equal(enabled.stdout, `birlikteyiz: açık — ${join(dataDir, 'modules.json')} dosyasına yazıldı; ${dataDir} klasörünü kullanan merkez başladığında geçerli olur (çalışan bir merkez için: \`--hub URL --token T\`)\n`);
  const after = (await unibos(['module', 'list', '--data-dir', dataDir], 'en')).stdout;
  assert.match(after, /^birlikteyiz\s+0\.1\.0\s+enabled$/m);
  assert.ok(after.includes(`(as ${join(dataDir, 'modules.json')} says;`), after);
});

test('the node commands’ --help in Turkish, with every option', async () => {
  for (const command of ['status', 'peers', 'inbox', 'send', 'sos']) {
    const r = await unibos([command, '--help'], 'tr');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^kullanım: unibos ${command} `));
    for (const option of ['--data-dir KLASÖR', '--node AD', '--json']) assert.ok(r.stdout.includes(option), `${command}: ${option}`);
    assert.doesNotMatch(r.stdout, /\b(the|default)\b/, `${command}: no English left`);
  }
});

test('every sentence the CLI says has its Turkish, with the same placeholders', () => {
  const files = [...readdirSync(CLI).filter((f) => f.endsWith('.ts')).map((f) => join(CLI, f)), ...['commands', 'image'].flatMap((d) => readdirSync(join(CLI, d)).map((f) => join(CLI, d, f)))];
  const missing: string[] = [];
  let found = 0;
  for (const f of files) {
    // A --help page is a template literal over many lines.
    for (const m of readFileSync(f, 'utf8').matchAll(/\bsay\(\s*(['"`])((?:\\.|(?!\1)[\s\S])*)\1/g)) {
      found++;
      const key = m[2]!.replace(/\\n/g, '\n').replace(/\\(['"`])/g, '$1');
      if (!(key in CLI_TURKISH)) missing.push(`${f.slice(CLI.length)}: ${key}`);
    }
  }
  assert.ok(found > 100, `the scan sees the CLI's sentences (${found})`);
  assert.deepEqual(missing, []);
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  const mismatched = Object.entries(CLI_TURKISH).filter(([en, tr]) => placeholders(en) !== placeholders(tr)).map(([en]) => en);
  assert.deepEqual(mismatched, []);
});

/** Each option's text (it may continue on the lines below), by the option it starts with. */
function optionBlocks(help: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let last: string | undefined;
  for (const line of help.split('\n')) {
    const flag = /^\s+(--[\w-]+)/.exec(line)?.[1];
    if (flag) blocks.set((last = flag), line);
    else if (last && /^\s{10,}\S/.test(line)) blocks.set(last, `${blocks.get(last)} ${line.trim()}`);
    else last = undefined;
  }
  return blocks;
}

test('every other command’s --help in Turkish, with every option, its values and its default', async () => {
  // A word each page's Turkish must have (it is not in the English).
  const words: Record<string, string> = { node: 'saha cihazı', gateway: 'ağ geçidi', hub: 'yönetim arayüzü', demo: 'benzetilmiş cihazları', sim: 'yönlendiricisini', image: 'önyükleme bölümü', module: 'kurulu modüller', radio: 'kartlarını listeler', air: 'LoRa ortamını loopback üzerinde', msg: 'uçtan uca şifreli' };
  for (const [command, word] of Object.entries(words)) {
    const [en, tr] = await Promise.all([unibos([command, '--help'], 'en'), unibos([command, '--help'], 'tr')]);
    assert.equal(tr.code, 0, tr.stderr);
    assert.match(en.stdout, new RegExp(`^usage: unibos ${command} `), `${command}: English as before`);
    assert.match(tr.stdout, new RegExp(`^kullanım: unibos ${command} `));
    assert.ok(tr.stdout.includes(word), `${command}: Turkish (${word})`);
    assert.doesNotMatch(tr.stdout, /\b(usage|default|required)\b/, `${command}: no English left`);
    const flags = (s: string) => [...new Set(s.match(/--[a-z][\w-]*/g))].sort();
    assert.deepEqual(flags(tr.stdout), flags(en.stdout), `${command}: every flag`);
    const enBlocks = optionBlocks(en.stdout);
    const trBlocks = optionBlocks(tr.stdout);
    // radio's options are in its usage lines only.
    if (command !== 'radio') assert.ok(enBlocks.size > 0, `${command} lists options`);
    for (const [flag, text] of enBlocks) {
      const allowed = text.match(/-?\d+\.\.\d+|\w+(?:\|\w+)+/g) ?? [];
      for (const a of allowed) assert.ok(trBlocks.get(flag)?.includes(a), `${command} ${flag}: ${a} in ${trBlocks.get(flag)}`);
      if (/default|required/.test(text)) assert.match(trBlocks.get(flag) ?? '', /varsayılan|gerekli/, `${command} ${flag}: its default`);
    }
  }
});

test('every device setting’s help line has its Turkish', () => {
  const lines = Object.values(CONFIG_KEYS as unknown as Record<string, { flag?: string; help: string }>).filter((d) => d.flag).map((d) => d.help);
  assert.ok(lines.length > 10);
  assert.deepEqual(lines.filter((l) => !(l in CLI_TURKISH)), []);
});

test('how long, as a person reads it, in both languages', () => {
  const cases: Array<[number, string, string]> = [
    [42, '42 s', '42 sn'],
    [561, '9 min', '9 dk'],
    [7_200, '2 h', '2 sa'],
    [7_530, '2 h 5 min', '2 sa 5 dk'],
    [86_400 + 4 * 3_600 + 59, '1 day 4 h', '1 gün 4 sa'],
    [3 * 86_400 + 1_000, '3 days', '3 gün'],
    [40 * 86_400 + 5 * 3_600, '40 days', '40 gün'],
  ];
  for (const [s, en, tr] of cases) {
    assert.equal(duration(s, 'en'), en);
    assert.equal(duration(s, 'tr'), tr);
  }
});

test('the SOS line in English is the node’s own line, word for word (but for a cancelled SOS)', () => {
  const at = (h: number, m: number) => new Date(2026, 0, 1, h, m).getTime();
  const base: SosStatus = { stage: 'sent', cancelled: false, resending: true, requestId: 7, startedMs: at(14, 0), copiesSent: 1, stageTimes: { sent: at(14, 0) }, safe: 'none', safeCopiesSent: 0, safeGiveUps: 0 } as SosStatus;
  const cases: SosStatus[] = [
    { ...base, stage: 'none' } as SosStatus,
    base,
    { ...base, stage: 'acknowledged', copiesSent: 3, acknowledgedBy: 'Ayse', stageTimes: { sent: at(14, 0), gateway: at(14, 1), hub: at(14, 1), acknowledged: at(14, 2) } },
    { ...base, stage: 'hub', cancelled: true, cancelledMs: at(14, 10), safe: 'waiting', safeCopiesSent: 2, stageTimes: { sent: at(14, 0), gateway: at(14, 1), hub: at(14, 1) } } as SosStatus,
    { ...base, stage: 'resolved', cancelled: true, cancelledMs: at(14, 10), safe: 'confirmed', resolvedBy: 'Ayse', stageTimes: { resolved: at(14, 12), hub: at(14, 1) } } as SosStatus,
    { ...base, cancelled: true, cancelledMs: at(14, 10), safe: 'gave-up' } as SosStatus,
    // The radio down: nothing went on air.
    { ...base, copiesSent: 0 },
    { ...base, copiesSent: 0, cancelled: true, cancelledMs: at(14, 10), safe: 'waiting' } as SosStatus,
    { ...base, copiesSent: 0, cancelled: true, cancelledMs: at(14, 10), safe: 'waiting', safeCopiesSent: 1 } as SosStatus,
  ];
  for (const s of cases) assert.equal(sosLine(s, 'en'), sosSummary(s));
  assert.equal(sosLine(cases[5]!, 'en', (ms) => new Date(ms).toTimeString().slice(0, 5)), 'safe sent at 14:10, gave up: no answer from the hub; SOS sent at 14:00; 1 copy sent');
  assert.equal(sosLine(cases[6]!, 'en', (ms) => new Date(ms).toTimeString().slice(0, 5)), 'raised at 14:00, not on air yet');
  assert.equal(sosLine(cases[7]!, 'en', (ms) => new Date(ms).toTimeString().slice(0, 5)), 'safe at 14:10, not on air yet; SOS raised at 14:00, not on air yet');
  assert.equal(sosLine(cases[2]!, 'tr', (ms) => new Date(ms).toTimeString().slice(0, 5)), '14:02’de Ayse tarafından teyit edildi (merkez 14:01’de aldı, ağ geçidi 14:01’de aldı); 3 kopya gönderildi');
});

test('set-up commands say their mistakes and results in Turkish, and English stays as it was', async () => {
  const frob = await unibos(['msg', 'frob'], 'tr');
  assert.equal(frob.code, 2);
  assert.match(frob.stderr, /^unibos msg: bilinmeyen msg komutu 'frob'\n\nkullanım: unibos msg /);
  const frobEn = await unibos(['msg', 'frob'], 'en');
  assert.match(frobEn.stderr, /^unibos msg: unknown msg command 'frob'\n\nusage: unibos msg /);

  const noCommand = await unibos(['module', '--modules-dir', join(root, 'modules'), '--data-dir', join(root, 'hub')], 'tr');
  assert.equal(noCommand.code, 2);
  assert.match(noCommand.stderr, /^unibos module: bir komut gerekli\n\nkullanım: unibos module /);

  const gw = join(root, 'gateway');
  const badRole = await unibos(['gateway', 'device', 'add', 'meter-1', '--role', 'boss', '--data-dir', gw], 'tr');
  assert.equal(badRole.code, 2);
  assert.equal(badRole.stderr, 'unibos gateway: --role şunlardan biri olmalı: sensor, hub, gateway\n');
  const badRoleEn = await unibos(['gateway', 'device', 'add', 'meter-1', '--role', 'boss', '--data-dir', gw], 'en');
  assert.equal(badRoleEn.stderr, 'unibos gateway: --role must be one of sensor, hub, gateway\n');

  const added = await unibos(['gateway', 'device', 'add', 'meter-1', '--data-dir', gw], 'tr');
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /^sensor meter-1 eklendi\n(?:konu kuralları:(?:\n {2}\S+ \S+)+\n)?kullanıcı adı: meter-1\nparola: \S+\n\(yalnızca bir kez gösterilir: yalnızca özeti saklanır\)\n$/);
  const addedEn = await unibos(['gateway', 'device', 'add', 'meter-2', '--data-dir', gw], 'en');
  assert.match(addedEn.stdout, /^added sensor meter-2\n(?:topic rules:(?:\n {2}\S+ \S+)+\n)?username: meter-2\npassword: \S+\n\(shown once: only its hash is stored\)\n$/);
  const list = await unibos(['gateway', 'device', 'list', '--data-dir', gw], 'tr');
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout.split('\n')[0]!, /^CİHAZ\s+ROL\s+EKLENDİ\s+KONU KURALLARI$/);
  const empty = await unibos(['gateway', 'device', 'list', '--data-dir', join(root, 'empty-gateway')], 'tr');
  assert.equal(empty.stdout, 'cihaz yok\n');
  const usage = await unibos(['gateway', 'device', 'frob', '--data-dir', gw], 'tr');
  assert.equal(usage.stderr, 'unibos gateway: kullanım: unibos gateway device add KİMLİK [--role sensor|hub] | list | remove KİMLİK\n');
});

test('a flag the command does not know is refused in Turkish, with the Turkish help after it', async () => {
  const tr = await unibos(['peers', '--frob'], 'tr');
  assert.equal(tr.code, 2);
  assert.match(tr.stderr, /^unibos peers: bilinmeyen seçenek '--frob'\n\nkullanım: unibos peers /);
  const missing = await unibos(['inbox', '--last'], 'tr');
  assert.match(missing.stderr, /^unibos inbox: '--last <değer>' seçeneğinin değeri eksik\n/);
  const en = await unibos(['peers', '--frob'], 'en');
  assert.match(en.stderr, /^unibos peers: Unknown option '--frob'\n\nusage: unibos peers /, 'English as Node says it');
});

test('unibos sim prints its tables in Turkish, every column as wide as its header', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-sim-tr-'));
  try {
    const tr = await unibos(['sim', '--nodes', '8', '--frames', '2', '--svg', join(dir, 'sim.svg')], 'tr');
    assert.equal(tr.code, 0, tr.stderr);
    const lines = tr.stdout.split('\n');
    assert.match(lines[0]!, /^unibos sim: 8 cihaz, random, kayıp %20, atlama sınırı 3/);
    const head = lines.find((l) => l.includes('strateji'))!;
    const naive = lines.find((l) => /^\s+naive /.test(l))!;
    assert.equal(naive.length, head.length, 'rows line up under the Turkish headers');
    assert.match(naive, /^\s+naive\s+\d+,\d\s+\d+,\d\s+\d+,\d\s+\d+,\d\d\s+\d+,\d\d\s/, 'decimals with a comma');
    assert.doesNotMatch(tr.stdout, /\d\.\d/, 'no decimal point anywhere');
    assert.match(tr.stdout, /cihaz başına \(ours\):/);
    assert.match(tr.stdout, /topoloji resmi: /);
    assert.doesNotMatch(tr.stdout, /\b(strategy|per node|topology picture)\b/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('alert kinds in the inbox in Turkish', async (t) => {
  const alert = (seq: number, level: string | null) => ({ seq, from: 0x2b3c4d01, to: 0xffffffff, packetId: seq, requestId: 0, kind: 'alert', level, text: 'x', rxMs: Date.now(), hops: 1, rssi: null });
  // A stand-in for a node's control socket with alerts a real node would have heard from others.
  const dir = await standInNode(t, 'inbox', {}, { self: '!a50a6e65', peers: [] }, { messages: [alert(1, 'SAFE'), alert(2, 'EARTHQUAKE'), alert(3, null)] });
  const kinds = (out: string) => out.split('\n').slice(1, 4).map((l) => l.split(/\s{2,}/)[2]);
  assert.deepEqual(kinds((await unibos(['inbox', '--data-dir', dir], 'tr')).stdout), ['GÜVENDE', 'DEPREM', 'ALARM']);
  assert.deepEqual(kinds((await unibos(['inbox', '--data-dir', dir], 'en')).stdout), ['SAFE', 'EARTHQUAKE', 'ALERT']);
});

test('mistakes the hub, the gateway, the device config and the radio report come out in Turkish', async () => {
  const hubDir = join(root, 'init-hub');
  const password = join(root, 'init-password');
  writeFileSync(password, 'short');
  const short = await unibos(['hub', 'init', '--email', 'ops@example.org', '--password-file', password, '--data-dir', hubDir], 'tr');
  assert.deepEqual([short.code, short.stderr], [2, 'unibos hub: parola en az 10 karakter olmalı\n']);
  writeFileSync(password, 'long enough password');
  const email = await unibos(['hub', 'init', '--email', 'not-an-email', '--password-file', password, '--data-dir', hubDir], 'tr');
  assert.deepEqual([email.code, email.stderr], [2, 'unibos hub: e-posta: bir e-posta adresi değil: "not-an-email"\n']);
  assert.equal((await unibos(['hub', 'init', '--email', 'ops@example.org', '--password-file', password, '--data-dir', hubDir], 'tr')).code, 0);
  const done = await unibos(['hub', 'init', '--email', 'two@example.org', '--password-file', password, '--data-dir', hubDir], 'tr');
  assert.deepEqual([done.code, done.stderr], [2, 'unibos hub: kurulum tamam: merkezde zaten kullanıcılar var\n']);

  const gw = join(root, 'gateway-mistakes');
  assert.equal((await unibos(['gateway', 'device', 'add', 'meter-1', '--data-dir', gw], 'tr')).code, 0);
  const twice = await unibos(['gateway', 'device', 'add', 'meter-1', '--data-dir', gw], 'tr');
  assert.deepEqual([twice.code, twice.stderr], [2, 'unibos gateway: meter-1 cihazı zaten var\n']);
  const access = await unibos(['gateway', 'device', 'add', 'meter-2', '--allow', 'frob tele/x', '--data-dir', gw], 'tr');
  assert.equal(access.stderr, 'unibos gateway: meter-2 cihazı: --allow #1 ("frob tele/x"): bilinmeyen erişim \'frob\' (read, write, readwrite veya deny bekleniyordu)\n');
  const filter = await unibos(['gateway', 'device', 'add', 'meter-2', '--allow', 'read #/x', '--data-dir', gw], 'tr');
  assert.match(filter.stderr, /^unibos gateway: meter-2 cihazı: --allow #1 \("read #\/x"\): #\/x geçerli bir konu süzgeci değil/);

  const config = await unibos(['image', 'config', '--out', join(root, 'tr.json'), '--role', 'nod', '--board', 'sim', '--region', 'EU868', '--hostname', 'Bad_Name'], 'tr');
  assert.equal(config.code, 2);
  assert.equal(config.stderr, 'unibos image: yazılmadı, cihaz bunu reddederdi: role: şunlardan biri olmalı: node, gateway, hub, gateway+hub (verilen: "nod"); hostname: bir makine adı olmalı: küçük harfler, rakamlar ve arada tireler, en çok 63 (verilen: "Bad_Name")\n');

  const board = await unibos(['radio', 'probe', '--board', 'nope', '--data-dir', join(root, 'radio')], 'tr');
  assert.equal(board.code, 2);
  assert.match(board.stderr, /^unibos radio: bilinmeyen kart "nope": şunlardan birini seçin: \S+/);
});
