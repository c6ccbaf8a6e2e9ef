// A gateway process for the kill -9 test: opens the outbox database and an uplink, then either
// produces messages (printing "accepted N" only after add(N) has returned) or just drains.
// Usage: uplink-child.ts <db> <hubUrl> <gatewayId> produce|drain [count] [addsPerTurn]

import Database from 'better-sqlite3';
import pino from 'pino';
import { HubOutbox } from '../../src/uplink/hub-outbox.ts';
import { HubUplink } from '../../src/uplink/hub-uplink.ts';
import { trafficMessage } from './uplink-traffic.ts';

const [dbPath, url, gatewayId, mode, countArg, perTurnArg] = process.argv.slice(2);
if (!dbPath || !url || !gatewayId || (mode !== 'produce' && mode !== 'drain')) {
  process.stderr.write('usage: uplink-child.ts <db> <hubUrl> <gatewayId> produce|drain [count]\n');
  process.exit(2);
}
const count = Number(countArg ?? 0);
const perTurn = Number(perTurnArg ?? 20);

const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const logger = pino({ level: process.env.UNIBOS_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const outbox = new HubOutbox(db, { logger });
const uplink = new HubUplink({ url, gatewayId, outbox, logger, reconnectMinMs: 20, reconnectMaxMs: 200 });

// stdout is a pipe: writes are synchronous on Linux, so a printed line was really printed
// before the process could be killed.
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

uplink.onState((state) => say(`state ${state}`));
say(`ready depth=${outbox.size}`);
uplink.start();

if (mode === 'produce') {
  let n = 0;
  const produce = (): void => {
    // A batch of separate adds per event-loop turn, so the uplink publishes while we add, as in a
    // live gateway; a large batch outpaces the uplink and builds a backlog.
    for (let k = 0; k < perTurn && n < count; k++, n++) {
      outbox.add(trafficMessage(n, gatewayId));
      say(`accepted ${n}`);
    }
    if (n < count) setImmediate(produce);
    else say('produced');
  };
  setImmediate(produce);
}

process.on('SIGTERM', () => {
  void uplink.stop().then(() => {
    say(`stopped depth=${outbox.size} sent=${uplink.stats.sent} acked=${uplink.stats.acked}`);
    db.close();
    process.exit(0);
  });
});
