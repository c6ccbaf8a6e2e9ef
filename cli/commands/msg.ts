// `unibos msg`: the end-to-end encrypted messenger from the command line. The keys are made here
// and stay in the data dir; the hub sees only ciphertext.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { hostname } from 'node:os';
import WebSocket from 'ws';
import { isMessengerCryptoError } from '@unibos/messenger-crypto';
import { MessengerClient, MessengerClientError, type Arrival, type ConversationSummary, type HistoryView, type MembershipEntry, type OrgMember, type SyncProblem, type SyncResult, type WebSocketLike } from '@unibos/messenger-client';
import { parseCommand, type Parsed } from '../cli-args.ts';
import { CliError } from '../cli-error.ts';
import { localDateTime, localTime } from '../cli-time.ts';
import { say } from '../cli-language.ts';
import { sayDeliveryError, sayMessengerError, sayReadProblem, type MessengerFailure, type MessengerWhere } from '../messenger-error-language.ts';
import { fitHelp } from '../help-width.ts';
import { keyFingerprint } from '../key-fingerprint.ts';
import { askSecret } from '../terminal-prompt.ts';
import { table } from '../plain-text.ts';
import { DEFAULT_MSG_DIR, MessengerAccount } from '../messenger-account.ts';
import { DeviceInUse, lockDevice } from '../device-lock.ts';

const HELP = fitHelp(say(`usage: unibos msg <command> [arguments] [options]

End-to-end encrypted messages through the hub. This machine is one messenger device of your hub
account: its keys are made here and never leave the data dir; the hub relays only ciphertext.

commands:
  login --hub URL --email EMAIL [--password-file FILE] [--device-name NAME]
                      log in and register this device (the password is read from FILE, else
                      asked for at a terminal, else read from stdin)
  devices [--revoke ID]
                      list your messenger devices, or revoke one (it gets nothing more)
  list                your conversations, with unread counts
  dm WHO "text"       send a direct message to WHO (an email or user id of your org)
  send CONVERSATION "text" [--reply-to ID] [--expires DURATION] [--attach FILE]
                      send into a conversation (its id, group name, or the other person of a DM)
  read [CONVERSATION] [--follow]
                      fetch and decrypt what arrived, print it in order with names and mark it read;
                      with CONVERSATION, print that conversation's whole history
  group create NAME --member WHO [--member WHO ...] [--channel] [--description TEXT]
  group add CONVERSATION WHO [WHO ...]
  group remove CONVERSATION WHO
                      groups and channels; adding or removing a member re-keys the group
  node !NODE ["text"]
                      send an end-to-end encrypted direct message (at most 117 bytes) to a mesh node
                      through the gateway that heard it last; without text, that conversation with
                      each sent message's state (queued, sent, delivered, failed)
  safety WHO          the safety number to compare with WHO (in person or on a call)
  trust WHO NUMBER    NUMBER is the safety number you compared with WHO (from \`msg safety WHO\`):
                      accepts WHO's changed keys and marks WHO verified; refused if their keys
                      changed again since
  keys                this device's id, name and key fingerprint, and each conversation partner's
                      device fingerprints with their trust state (pinned, changed awaiting trust)

options:
  --hub URL           the hub's address, e.g. http://hub.local:8000 (login; no default)
  --email EMAIL       your hub account (login; no default)
  --password-file FILE
                      a file whose first line is the password (login; default: ask at a terminal,
                      else read stdin)
  --device-name NAME  how this device is listed (login; default: "cli on <hostname>")
  --revoke ID         a device id from \`unibos msg devices\` (devices; default: list only)
  --reply-to ID       a message id to reply to (send; default: none)
  --expires DURATION  delete the message after DURATION: a number and s, m, h, d or w, from 10s to 4w (send; default: never)
  --attach FILE       a file to send encrypted along with the text, at most 10 MiB (send; default: none)
  --follow            keep running and print messages as they arrive, until Ctrl-C (read; default: off)
  --member WHO        a member to add, email or user id; repeat for more (group create; default: none)
  --channel           make a channel, where only owner and admins post (group create; default: a group)
  --description TEXT  the group's description (group create; default: none)
  --data-dir DIR      where the session and this device's keys are kept, files 0600 (default: {dataDir})
`, { dataDir: DEFAULT_MSG_DIR }));

const OPTIONS = {
  hub: { type: 'string' },
  email: { type: 'string' },
  'password-file': { type: 'string' },
  'device-name': { type: 'string' },
  'data-dir': { type: 'string' },
  revoke: { type: 'string' },
  'reply-to': { type: 'string' },
  expires: { type: 'string' },
  attach: { type: 'string' },
  follow: { type: 'boolean' },
  member: { type: 'string', multiple: true },
  channel: { type: 'boolean' },
  description: { type: 'string' },
} as const;

/** What a mesh message's state means to the person who sent it. */
const NODE_STATUS: Record<string, string> = {
  queued: 'not yet confirmed by the gateway; waits at the hub while the gateway is away',
  sent: 'sent to the gateway',
  delivered: 'acknowledged by the node',
  failed: 'failed',
};

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 604_800_000 };

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, HELP, OPTIONS, true);
  if (!args) return 0;
  const [sub, ...rest] = args.positionals;
  const dir = (args.values['data-dir'] as string | undefined) ?? DEFAULT_MSG_DIR;
  // Filled in as the command learns them, for the errors that do not say them.
  const where: MessengerWhere = { dir, ...(typeof args.values.hub === 'string' ? { hub: args.values.hub } : {}) };
  try {
    switch (sub) {
      case 'login':
        return await login(dir, where, args, rest);
      case 'devices':
      case 'list':
      case 'dm':
      case 'send':
      case 'read':
      case 'group':
      case 'safety':
      case 'trust':
      case 'keys':
      case 'node':
        return await withClient(dir, where, `msg ${sub}${args.values.follow ? ' --follow' : ''}`, (c) => COMMANDS[sub](c, args, rest));
      case undefined:
        throw new CliError(say('say what to do\n\n{help}', { help: HELP }));
      default:
        throw new CliError(say("unknown msg command '{name}'\n\n{help}", { name: sub, help: HELP }));
    }
  } catch (err) {
    // Another process has this device: nothing was sent or saved here.
    if (err instanceof DeviceInUse) {
      process.stderr.write(`unibos msg: ${err.message}\n`);
      return 1;
    }
    // The library's errors (the client's, the cryptography's, the hub's refusals), said by their code.
    if (err instanceof MessengerClientError || isMessengerCryptoError(err)) {
      process.stderr.write(`unibos msg: ${sayMessengerError(err as MessengerFailure, where)}\n`);
      if (err.code === 'E_KEYS_CHANGED_AGAIN' && typeof err.details.userId === 'string' && typeof err.details.safetyNumber === 'string') {
        process.stderr.write(`unibos msg: ${say('the safety number is {number} now: compare it with them again (`unibos msg safety {user}`)', { number: err.details.safetyNumber, user: err.details.userId })}\n`);
      }
      if (err.code === 'E_KEY_CHANGED' && typeof err.details.userId === 'string') {
        process.stderr.write(`unibos msg: ${say('compare the safety number (`unibos msg safety {user}`), then accept it with `unibos msg trust {user} "NUMBER"`', { user: err.details.userId })}\n`);
      }
      // Too long a text is the user's to shorten, as `unibos send` says with the same code.
      return err.code === 'E_TEXT_TOO_LONG' ? 2 : 1;
    }
    throw err;
  }
}

interface Ctx {
  client: MessengerClient;
  people: OrgMember[];
  account: MessengerAccount;
  where: MessengerWhere;
}

const COMMANDS: Record<'devices' | 'list' | 'dm' | 'send' | 'read' | 'group' | 'safety' | 'trust' | 'keys' | 'node', (c: Ctx, args: Parsed, rest: string[]) => Promise<number>> = {
  async devices({ client }, args, rest) {
    noMore(rest, 0);
    const revoke = args.values.revoke as string | undefined;
    if (revoke) {
      await client.revokeDevice(revoke);
      out(revoke === client.deviceId ? say('revoked device {id} (this one: log in again to use the messenger here)', { id: revoke }) : say('revoked device {id}', { id: revoke }));
      return 0;
    }
    for (const d of await client.devices()) {
      const row = { id: d.id, name: d.name, since: localDateTime(d.createdAt), prekeys: d.oneTimePrekeys };
      out(d.id === client.deviceId ? say('{id}  {name}  since {since}  one-time prekeys: {prekeys}  (this device)', row) : say('{id}  {name}  since {since}  one-time prekeys: {prekeys}', row));
    }
    return 0;
  },

  async list(ctx, _args, rest) {
    noMore(rest, 0);
    const list = await ctx.client.conversations();
    const mesh = await ctx.client.meshConversations();
    if (list.length === 0 && mesh.length === 0) out(say('no conversations yet: start one with `unibos msg dm WHO "text"`'));
    const rows = [
      ...list.map((c) => [c.id, conversationKind(c.kind), label(ctx, c), String(c.unread), c.muted ? say('muted') : '']),
      ...mesh.map((c) => [c.conversationId, conversationKind('mesh'), c.name ? `${c.nodeId} (${c.name})` : c.nodeId, String(c.unread), `unibos msg node ${c.nodeId}`]),
    ];
    if (rows.length > 0) process.stdout.write(table([say('ID'), say('KIND'), say('NAME'), say('UNREAD'), ''], rows));
    return 0;
  },

  async dm(ctx, _args, rest) {
    if (rest.length !== 2) throw new CliError(say('usage: unibos msg dm WHO "text" (quote the text)'));
    if (rest[1] === '') throw new CliError(say('the text is empty: write something to send'));
    const who = person(ctx, rest[0]!);
    if (who.userId === ctx.client.userId) throw new CliError(say('{who} is you: a direct message goes to someone else', { who: rest[0]! }));
    const conv = await ctx.client.startDirect(who.userId);
    const sent = await ctx.client.send(conv.id, { text: rest[1]! });
    out(say('sent {id} to {email} (conversation {conversation})', { id: sent.id, email: who.email, conversation: conv.id }));
    return 0;
  },

  async send(ctx, args, rest) {
    if (rest.length !== 2) throw new CliError(say('usage: unibos msg send CONVERSATION "text" (quote the text)'));
    if (rest[1] === '' && !args.values.attach) throw new CliError(say('the text is empty: write something to send'));
    const conv = await conversation(ctx, rest[0]!);
    if ('meshNode' in conv) {
      // A node's conversation: a text to its radio, as `msg node` sends it (no files, replies or expiry on the mesh).
      if (args.values.attach || args.values['reply-to'] || args.values.expires) throw new CliError(say('a mesh node takes text only: no --attach, --reply-to or --expires'));
      return COMMANDS.node(ctx, args, [conv.meshNode, rest[1]!]);
    }
    const file = args.values.attach as string | undefined;
    let attachment;
    if (file) {
      try {
        attachment = { data: new Uint8Array(readFileSync(file)), name: basename(file) };
      } catch (err) {
        throw new CliError(say('cannot read --attach {file}: {reason}', { file, reason: (err as Error).message }));
      }
    }
    const replyTo = args.values['reply-to'] as string | undefined;
    const expires = args.values.expires as string | undefined;
    const sent = await ctx.client.send(conv.id, { text: rest[1]!, ...(replyTo ? { replyTo } : {}), ...(expires ? { expiresInMs: duration(expires) } : {}), ...(attachment ? { attachment } : {}) });
    out(sent.expiresAt ? say('sent {id} to {to} (expires {expires})', { id: sent.id, to: label(ctx, conv), expires: localDateTime(sent.expiresAt) }) : say('sent {id} to {to}', { id: sent.id, to: label(ctx, conv) }));
    return 0;
  },

  async read(ctx, args, rest) {
    noMore(rest, 1);
    const picked = rest[0] ? await conversation(ctx, rest[0]) : null;
    // A node's conversation reads as `msg node` shows it.
    if (picked && 'meshNode' in picked && !args.values.follow) return COMMANDS.node(ctx, args, [picked.meshNode]);
    const only = picked && !('meshNode' in picked) ? picked : null;
    const meshNode = picked && 'meshNode' in picked ? picked.meshNode : null;
    const first = await ctx.client.sync();
    const convs = new Map((await ctx.client.conversations()).map((c) => [c.id, c]));
    if (only) {
      report(ctx, { arrived: [], problems: first.problems }, convs);
      for (const e of ctx.client.timeline(only.id)) out(e.type === 'membership' ? membershipLine(ctx, e) : historyLine(ctx, e));
      await ctx.client.markRead(only.id);
    } else {
      await show(ctx, first, convs);
      if (first.arrived.length === 0 && !args.values.follow) out(say('no new messages'));
    }
    if (!args.values.follow) return 0;
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    // The device's state was written by another process after all: this one stops at once (exit 1).
    let taken: (err: DeviceInUse) => void = () => undefined;
    const lost = new Promise<DeviceInUse>((resolve) => (taken = resolve));
    const handle = await ctx.client.follow(
      async (r) => {
        for (const a of r.arrived) if (!convs.has(a.conversationId)) for (const c of await ctx.client.conversations()) convs.set(c.id, c);
        const mine = (a: Arrival) => (only ? a.conversationId === only.id : meshNode ? a.nodeId === meshNode : true);
        await show(ctx, { arrived: r.arrived.filter(mine), problems: r.problems }, convs);
      },
      { open: (url) => new WebSocket(url) as unknown as WebSocketLike, onError: (err) => (err instanceof DeviceInUse ? taken(err) : process.stderr.write(`unibos msg: ${err instanceof MessengerClientError || isMessengerCryptoError(err) ? sayMessengerError(err as MessengerFailure, ctx.where) : (err as Error).message}\n`)) },
    );
    out(say('-- following new messages; Ctrl-C to stop'));
    const end = await Promise.race([stop, handle.closed, lost]);
    handle.close();
    if (end instanceof DeviceInUse) throw end;
    return 0;
  },

  async group(ctx, args, rest) {
    const [op, ...more] = rest;
    if (op === 'create') {
      if (more.length !== 1) throw new CliError(say('usage: unibos msg group create NAME --member WHO [--member WHO ...]'));
      const members = ((args.values.member as unknown as string[] | undefined) ?? []).map((w) => person(ctx, w).userId);
      const description = args.values.description as string | undefined;
      const c = await ctx.client.createGroup({ kind: args.values.channel ? 'channel' : 'group', name: more[0]!, members, ...(description ? { description } : {}) });
      out(say(c.kind === 'channel' ? 'created channel {name} ({id}) with {count} members' : 'created group {name} ({id}) with {count} members', { name: String(c.name), id: c.id, count: c.members.length }));
      return 0;
    }
    if (op === 'add' || op === 'remove') {
      if (more.length < 2 || (op === 'remove' && more.length !== 2)) throw new CliError(op === 'add' ? say('usage: unibos msg group add CONVERSATION WHO [WHO ...]') : say('usage: unibos msg group remove CONVERSATION WHO'));
      const conv = await conversation(ctx, more[0]!);
      if ('meshNode' in conv) throw new CliError(say('{node} is a mesh node’s conversation: it has no members to change', { node: conv.meshNode }));
      const who = more.slice(1).map((w) => person(ctx, w));
      const c = op === 'add' ? await ctx.client.addMember(conv.id, who.map((w) => w.userId)) : await ctx.client.removeMember(conv.id, who[0]!.userId);
      out(say(op === 'add' ? 'added {who}; {name} has a new key; members: {count}' : 'removed {who}; {name} has a new key; members: {count}', { who: who.map((w) => w.email).join(', '), name: String(c.name), count: c.members.length }));
      return 0;
    }
    throw new CliError(say('usage: unibos msg group create|add|remove ... (see unibos msg --help)'));
  },

  async node({ client, where }, _args, rest) {
    noMore(rest, 2);
    if (!rest[0]) throw new CliError(say('usage: unibos msg node !NODE ["text"]'));
    if (!/^!?[0-9a-f]{8}$/i.test(rest[0])) throw new CliError(say('{value} is not a node id (write it as !1a2b3c4d)', { value: rest[0] }));
    where.node = nodeAddress(rest[0]);
    if (rest[1] === undefined) {
      const states = new Map((await client.meshDeliveries(rest[0])).map((d) => [d.messageId, d]));
      const history = client.meshHistory(rest[0]);
      if (history.length === 0) out(say('no messages with {node} yet', { node: where.node }));
      for (const m of history) {
        const d = states.get(m.id);
        const who = m.senderDevice === client.deviceId ? say('you') : m.senderUser;
        const status = d ? (NODE_STATUS[d.status] ? say(NODE_STATUS[d.status]!) : d.status) : '';
        out(`${time(m.sentAt)} \u{1F512} ${who}: ${m.text}${d ? `  (${status}${d.error ? `: ${sayDeliveryError(d.error)}` : ''})` : ''}  {${m.id}}`);
      }
      await client.markMeshRead(rest[0]);
      return 0;
    }
    if (rest[1] === '') throw new CliError(say('the text is empty: write something to send'));
    const sent = await client.sendToNode(rest[0], rest[1]);
    out(say('handed to the hub for {node}, end-to-end encrypted {{id}}: it goes out through the gateway that heard the node last, and waits at the hub while that gateway is away; `unibos msg node {node}` shows when it is on the air and when the node acknowledged it', { node: sent.nodeId, id: sent.messageId }));
    return 0;
  },

  async safety(ctx, _args, rest) {
    noMore(rest, 1);
    if (!rest[0]) throw new CliError(say('usage: unibos msg safety WHO'));
    const who = person(ctx, rest[0]);
    const { safetyNumber, status } = await ctx.client.safetyNumber(who.userId);
    if (!safetyNumber) {
      out(say('no keys of {email} seen yet: there is no number to compare', { email: who.email }));
      return 0;
    }
    const headings = {
      key_changed: 'safety number with {email} (KEYS CHANGED, not accepted yet):',
      verified: 'safety number with {email} (verified):',
      trusted: 'safety number with {email} (not verified yet):',
      new: 'safety number with {email} (not verified yet):',
    } as const;
    out(say(headings[status], { email: who.email }));
    out(`  ${safetyNumber}`);
    out(say('compare it with theirs in person or on a call; the same digits mean no one is in between'));
    if (status !== 'verified') out(say('then mark it compared: `unibos msg trust {who} "NUMBER"`', { who: rest[0] }));
    return 0;
  },

  async trust(ctx, _args, rest) {
    // The number as one quoted argument or as its 12 groups. A number that matches is a comparison
    // made: changed keys are accepted, and the contact is marked verified either way.
    noMore(rest, 13);
    if (!rest[0]) throw new CliError(say('usage: unibos msg trust WHO "NUMBER"'));
    const who = person(ctx, rest[0]);
    const { safetyNumber, status } = await ctx.client.safetyNumber(who.userId);
    if (!safetyNumber) {
      out(say('no keys of {email} seen yet: there is no number to compare', { email: who.email }));
      return 0;
    }
    const compared = rest.slice(1).join('').replace(/\s+/g, '');
    if (!compared && status === 'verified') {
      out(say('{email} is verified already', { email: who.email }));
      return 0;
    }
    if (!compared) throw new CliError(say('say which safety number you compared: `unibos msg trust {who} "NUMBER"`; it is {number} now (`unibos msg safety {who}`). Accept only if theirs is the same', { who: rest[0], number: safetyNumber }));
    if (!/^\d{60}$/.test(compared)) throw new CliError(say('{value} is not a safety number (60 digits, as `unibos msg safety {who}` shows them)', { value: rest.slice(1).join(' '), who: rest[0] }));
    // Only the keys the compared number covers are taken: a device added since makes it another number,
    // said as what it may mean, not as the keys having changed.
    if (compared !== safetyNumber.replace(/\s+/g, '')) {
      process.stderr.write(`unibos msg: ${say('that is not the number this device shows for {email} now: {number}. If theirs is this one, their keys changed again since you compared: compare again. If theirs is not, do not accept: someone may be in between. Nothing was accepted', { email: who.email, number: safetyNumber })}\n`);
      return 1;
    }
    const released = status === 'key_changed' ? await ctx.client.acceptKeyChange(who.userId, compared) : undefined;
    await ctx.client.markVerified(who.userId, compared);
    if (released) out(say('accepted the new keys of {email}', { email: who.email }));
    out(say('{email} is marked verified: the number you compared covers each of their devices now; a device they add later makes it another number, to compare again', { email: who.email }));
    if (released) await show(ctx, released, new Map((await ctx.client.conversations()).map((c) => [c.id, c])));
    return 0;
  },

  async keys(ctx, _args, rest) {
    noMore(rest, 0);
    const { client } = ctx;
    out(say('this device: {id}  {name}  {fingerprint}', { id: client.deviceId, name: client.deviceName, fingerprint: keyFingerprint(client.identityKey) }));
    const partners = new Set((await client.conversations()).flatMap((c) => c.members.map((m) => m.userId)).filter((u) => u !== client.userId));
    for (const userId of partners) {
      const who = ctx.people.find((p) => p.userId === userId)?.email ?? userId;
      const devices = client.pinnedDevices(userId);
      if (devices.length === 0) {
        out(say('{who}: no keys seen yet (they are pinned with the first message either way)', { who }));
        continue;
      }
      out(`${who}:`);
      for (const d of devices) {
        const row = { id: d.deviceId, fingerprint: keyFingerprint(d.identityKey), who };
        out(d.state === 'pinned' ? say('  {id}  {fingerprint}  pinned', row) : say('  {id}  {fingerprint}  CHANGED, awaiting trust (`unibos msg trust {who}`)', row));
      }
    }
    return 0;
  },
};

async function login(dir: string, where: MessengerWhere, args: Parsed, rest: string[]): Promise<number> {
  noMore(rest, 0);
  const hub = args.values.hub as string | undefined;
  const email = args.values.email as string | undefined;
  if (!hub || !email) throw new CliError(say('login needs --hub URL and --email EMAIL'));
  try {
    new URL(hub);
  } catch {
    throw new CliError(say("--hub must be a URL such as http://hub.local:8000, got '{value}'", { value: hub }));
  }
  const file = args.values['password-file'] as string | undefined;
  let password: string;
  try {
    // At a terminal, ask (without echo); a script pipes the password in.
    password = !file && process.stdin.isTTY ? await askSecret(`${say('Password')}: `) : (file ? readFileSync(file, 'utf8') : readFileSync(0, 'utf8')).split('\n')[0]!;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(file ? say('cannot read the password from {file}: {reason}', { file, reason: (err as Error).message }) : say('cannot read the password from stdin: {reason}', { reason: (err as Error).message }));
  }
  if (!password) throw new CliError(say('the password is empty'));
  where.hub = hub;
  await lockDevice(dir, 'msg login');
  const account = await MessengerAccount.login(dir, hub, email, password);
  const name = (args.values['device-name'] as string | undefined) ?? `cli on ${hostname()}`;
  const open = () => MessengerClient.open({ hubUrl: account.hubUrl, auth: () => account.token(), store: account.deviceStore(), deviceName: name });
  let client: MessengerClient;
  try {
    client = await open();
  } catch (err) {
    if (!(err instanceof MessengerClientError && err.code === 'E_DEVICE_REVOKED')) throw err;
    // A revoked device's keys are useless: set them aside (its history stays readable there) and start a new device.
    const aside = account.retireDevice();
    client = await open();
    out(say("this machine's previous device was revoked; its state is kept in {dir}", { dir: aside }));
  }
  out(say('logged in to {hub} as {email}; this device is {device}', { hub: account.hubUrl, email: account.email, device: client.deviceId }));
  return 0;
}

async function withClient(dir: string, where: MessengerWhere, command: string, f: (c: Ctx) => Promise<number>): Promise<number> {
  const account = MessengerAccount.load(dir);
  where.hub = account.hubUrl;
  // Held until this process ends: a second one on the same device would reuse its message keys.
  await lockDevice(dir, command);
  const client = await MessengerClient.open({ hubUrl: account.hubUrl, auth: () => account.token(), store: account.deviceStore(), deviceName: `cli on ${hostname()}` });
  return f({ client, account, where, people: await client.people() });
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function noMore(rest: string[], max: number): void {
  if (rest.length > max) throw new CliError(say("unexpected argument '{value}'", { value: String(rest[max]) }));
}

function duration(raw: string): number {
  const m = /^(\d{1,6})([smhdw])$/.exec(raw);
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2]!]! : NaN;
  if (!(ms >= 10_000 && ms <= 4 * DURATION_UNITS.w!)) throw new CliError(say("--expires must be a number and s, m, h, d or w, from 10s to 4w (e.g. 1h), got '{value}'", { value: raw }));
  return ms;
}

function person(ctx: Ctx, who: string): OrgMember {
  const found = ctx.people.find((p) => p.email.toLowerCase() === who.toLowerCase() || p.userId === who);
  if (!found) throw new CliError(say("no one in your org is '{who}' (give an email or a user id)", { who }));
  return found;
}

function nameOf(ctx: Ctx, userId: string): string {
  if (userId === ctx.client.userId) return say('you');
  const p = ctx.people.find((x) => x.userId === userId);
  return p ? p.name || p.email : userId;
}

/** A conversation's kind as `msg list` shows it, in the user's language. */
function conversationKind(kind: string): string {
  return kind === 'direct' ? say('direct') : kind === 'group' ? say('group') : kind === 'channel' ? say('channel') : kind === 'mesh' ? say('mesh node') : kind;
}

function label(ctx: Ctx, c: { kind: string; name: string | null; members: Array<{ userId: string }> }): string {
  if (c.kind !== 'direct') return c.name ?? say('(unnamed)');
  const other = c.members.find((m) => m.userId !== ctx.client.userId);
  return other ? ctx.people.find((p) => p.userId === other.userId)?.email ?? other.userId : say('(direct)');
}

/** A conversation by id, id prefix, group name, or the email or id of the other person of a DM. */
/** A node id as the hub writes it: `1A2B3C4D` or `!1a2b3c4d` is `!1a2b3c4d`. */
function nodeAddress(ref: string): string {
  return (ref.startsWith('!') ? ref : `!${ref}`).toLowerCase();
}

/** A conversation `msg list` shows: one through the hub, or one with a mesh node (its node id). */
async function conversation(ctx: Ctx, ref: string): Promise<ConversationSummary | { meshNode: string }> {
  const all = await ctx.client.conversations();
  const byId = all.find((c) => c.id === ref);
  if (byId) return byId;
  const other = ctx.people.find((p) => p.email.toLowerCase() === ref.toLowerCase() || p.userId === ref);
  const matches = all.filter((c) => (c.kind !== 'direct' && c.name?.toLowerCase() === ref.toLowerCase()) || (other && c.kind === 'direct' && c.members.some((m) => m.userId === other.userId)) || (ref.length >= 6 && c.id.startsWith(ref)));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new CliError(say("'{ref}' names {count} conversations; give the id (see `unibos msg list`)", { ref, count: matches.length }));
  const node = nodeAddress(ref);
  const mesh = (await ctx.client.meshConversations()).find((m) => m.conversationId === ref || m.nodeId === node || (ref.length >= 6 && m.conversationId.startsWith(ref)));
  if (mesh) return { meshNode: mesh.nodeId };
  throw new CliError(say("no conversation '{ref}' (see `unibos msg list`)", { ref }));
}

const time = localTime;

function arrivalLine(ctx: Ctx, a: Arrival, conv: ConversationSummary | undefined): string {
  const where = a.nodeId ? `[mesh ${a.nodeId} \u{1F512}] ` : conv ? `[${label(ctx, conv)}] ` : '';
  const who = nameOf(ctx, a.senderUser);
  switch (a.type) {
    case 'text':
      return `${time(a.sentAt)} ${where}${who}: ${a.text}${a.replyTo ? `  ${say('(reply to {id})', { id: a.replyTo })}` : ''}${a.attachment ? `  ${say('[file {name}, {bytes} bytes]', { name: a.attachment.name, bytes: a.attachment.bytes })}` : ''}${a.expiresAt ? `  ${say('(expires {time})', { time: localDateTime(a.expiresAt) })}` : ''}  {${a.messageId}}`;
    case 'edit':
      return `${time(a.sentAt)} ${where}${say('{who} edited {target}: {text}', { who, target: String(a.target), text: String(a.text) })}`;
    case 'delete':
      return `${time(a.sentAt)} ${where}${say('{who} deleted {target}', { who, target: String(a.target) })}`;
    case 'reaction':
      return `${time(a.sentAt)} ${where}${a.emoji ? say('{who} reacted {emoji} to {target}', { who, emoji: a.emoji, target: String(a.target) }) : say('{who} took back a reaction to {target}', { who, target: String(a.target) })}`;
    case 'read':
      return `${time(a.sentAt)} ${where}${say('{who} read up to {target}', { who, target: String(a.target) })}`;
  }
}

/** Someone joined or went, as this device saw it: the hub decides who is in a group, so it is shown. */
function membershipLine(ctx: Ctx, e: MembershipEntry): string {
  const name = nameOf(ctx, e.userId);
  const what = e.change === 'added' ? say('{name} was added', { name }) : e.change === 'left' ? say('{name} left', { name }) : say('{name} was removed', { name });
  return `${time(e.at)} -- ${what} --`;
}

function historyLine(ctx: Ctx, m: HistoryView): string {
  if (m.deleted) return `${time(m.sentAt)} ${nameOf(ctx, m.senderUser)}: ${say('(deleted)')}  {${m.id}}`;
  const reactions = Object.entries(m.reactions).map(([u, e]) => `${e} ${nameOf(ctx, u)}`).join(', ');
  const read = m.readBy.length > 0 ? `  ${say('(read by {names})', { names: m.readBy.map((u) => nameOf(ctx, u)).join(', ') })}` : '';
  return `${time(m.sentAt)} ${nameOf(ctx, m.senderUser)}: ${m.text}${m.editedAt ? ` ${say('(edited)')}` : ''}${m.replyTo ? `  ${say('(reply to {id})', { id: m.replyTo })}` : ''}${reactions ? `  [${reactions}]` : ''}${read}  {${m.id}}`;
}

function report(ctx: Ctx, r: SyncResult, _convs: Map<string, ConversationSummary>): void {
  for (const p of r.problems) process.stderr.write(`${problemLine(ctx, p)}\n`);
}

function problemLine(ctx: Ctx, p: SyncProblem): string {
  const who = ctx.people.find((x) => x.userId === (p.code === 'key_changed' ? p.userId : p.senderUser));
  const name = who?.email ?? (p.code === 'key_changed' ? p.userId : p.senderUser);
  if (p.code === 'key_changed') {
    const params = { name, held: p.held, number: p.safetyNumber };
    return `! ${p.held ? say('the keys of {name} changed (a new or reinstalled device); {held} message(s) held until you accept. Compare the safety number {number} with them, then run `unibos msg trust {name} "{number}"`', params) : say('the keys of {name} changed (a new or reinstalled device). Compare the safety number {number} with them, then run `unibos msg trust {name} "{number}"`', params)}`;
  }
  return `! ${say('could not read message {id} from {name}: {code}: {reason}', { id: p.messageId, name, code: p.errorCode, reason: sayReadProblem(p.errorCode, p.reason) })}`;
}

/** Prints what arrived and the problems, then marks the conversations with new messages read. */
async function show(ctx: Ctx, r: SyncResult, convs: Map<string, ConversationSummary>): Promise<void> {
  report(ctx, r, convs);
  for (const a of r.arrived) out(arrivalLine(ctx, a, convs.get(a.conversationId)));
  // A mesh node's message has no read receipt to send (the node is not a hub conversation member).
  const fresh = new Set(r.arrived.filter((a) => a.type === 'text' && a.senderUser !== ctx.client.userId && !a.nodeId).map((a) => a.conversationId));
  for (const id of fresh) await ctx.client.markRead(id);
}
