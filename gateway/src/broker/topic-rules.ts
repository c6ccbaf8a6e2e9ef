// Per-device topic rules in mosquitto's ACL file format, for devices that speak their own topic
// trees (Tasmota's tele/stat/cmnd, ESPHome's <node>/..., shellies/..., zigbee2mqtt/...):
//
//   # comment
//   pattern write tele/%u/#          every device: %u is its id (the MQTT username), %c its client id
//   topic read $SYS/...              (refused: '$' topics are the broker's)
//   user plug1                       the lines below apply to device plug1 only
//   topic readwrite cmnd/plug1/#
//   topic deny cmnd/plug1/Backlog    deny wins over any allow
//
// Rules only widen what a device may do outside UNIBOS' own tree: `unibos/v1/...` stays decided by
// the role table in acl.ts alone, whatever a rule says, so no rule can let a device forge mesh or
// gateway traffic. Without rules nothing changes (a sensor writes only its own prefix).

import { filterCovers, filtersOverlap, isValidTopicFilter, topicMatches } from '@unibos/mesh-protocol';

export type RuleAccess = 'read' | 'write' | 'readwrite' | 'deny';
const ACCESSES: readonly RuleAccess[] = ['read', 'write', 'readwrite', 'deny'];

export interface TopicRule {
  /** `topic` lines name a topic literally; `pattern` lines substitute %u and %c first. */
  readonly kind: 'topic' | 'pattern';
  readonly access: RuleAccess;
  readonly topic: string;
  /** Where it came from, for messages: `acl.conf:12`, `device plug1 --allow 1`. */
  readonly origin: string;
}

export interface TopicRuleSet {
  /** Rules for every authenticated device (`pattern` lines, and `topic` lines outside a `user` section). */
  readonly everyone: readonly TopicRule[];
  /** Rules for anonymous clients: mosquitto gives them the `topic` lines before any `user` line. */
  readonly anonymous: readonly TopicRule[];
  readonly byDevice: ReadonlyMap<string, readonly TopicRule[]>;
}

export const NO_RULES: TopicRuleSet = { everyone: [], anonymous: [], byDevice: new Map() };

export class TopicRuleError extends Error {
  readonly code = 'E_ACL_RULE';
  constructor(
    readonly origin: string,
    readonly reason: string,
  ) {
    super(`${origin}: ${reason}`);
  }
}

/** One rule's text after its keyword (`[access] topic`; access defaults to readwrite, as in mosquitto). */
export function parseRule(kind: 'topic' | 'pattern', text: string, origin: string): TopicRule {
  const words = text.trim().split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) throw new TopicRuleError(origin, `${kind} needs a topic`);
  let access: RuleAccess = 'readwrite';
  if (words.length >= 2 && (ACCESSES as readonly string[]).includes(words[0]!)) access = words.shift() as RuleAccess;
  else if (words.length >= 2) throw new TopicRuleError(origin, `unknown access '${words[0]}' (expected read, write, readwrite or deny)`);
  // Topics may contain spaces in mosquitto; ours are device topics, and a space is far more often a typo.
  if (words.length !== 1) throw new TopicRuleError(origin, `expected '${kind} [read|write|readwrite|deny] TOPIC', got ${JSON.stringify(text.trim())}`);
  const topic = words[0]!;
  if (topic.startsWith('$')) throw new TopicRuleError(origin, `'$' topics belong to the broker; no rule can grant ${topic}`);
  const probe = kind === 'pattern' ? topic.replace(/%[uc]/g, 'x') : topic;
  if (kind === 'pattern' && /%[^uc]/.test(topic)) throw new TopicRuleError(origin, `unknown substitution in ${topic} (only %u and %c)`);
  if (!isValidTopicFilter(probe)) throw new TopicRuleError(origin, `${topic} is not a valid topic filter ('#' only last, '+' and '#' alone in their level)`);
  if (kind === 'pattern' && /%[uc]/.test(topic) && !topic.split('/').every((level) => !/%[uc]/.test(level) || level === '%u' || level === '%c')) {
    throw new TopicRuleError(origin, `%u and %c must be a whole level, as in tele/%u/#`);
  }
  return { kind, access, topic, origin };
}

/** A whole ACL file; throws TopicRuleError naming `name:line` and the reason at the first bad line. */
export function parseAclFile(text: string, name: string): TopicRuleSet {
  const everyone: TopicRule[] = [];
  const anonymous: TopicRule[] = [];
  const byDevice = new Map<string, TopicRule[]>();
  let user: string | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const origin = `${name}:${i + 1}`;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword === 'user') {
      if (rest.length !== 1 || !/^[A-Za-z0-9_-]{1,64}$/.test(rest[0]!)) throw new TopicRuleError(origin, `'user' takes one device id (1-64 of A-Z a-z 0-9 _ -)`);
      user = rest[0]!;
      if (!byDevice.has(user)) byDevice.set(user, []);
    } else if (keyword === 'topic' || keyword === 'pattern') {
      const rule = parseRule(keyword, args, origin);
      // mosquitto: pattern lines apply to everyone wherever they stand; topic lines to the current user.
      if (keyword === 'pattern') everyone.push(rule);
      else if (user === null) {
        everyone.push(rule);
        anonymous.push(rule);
      } else byDevice.get(user)!.push(rule);
    } else {
      throw new TopicRuleError(origin, `unknown keyword '${keyword}' (expected user, topic or pattern)`);
    }
  }
  return { everyone, anonymous, byDevice };
}

/** `rules` with the device's own (from `unibos gateway device add --allow/--deny`) added to its section. */
export function withDeviceRules(rules: TopicRuleSet, deviceId: string, own: readonly TopicRule[]): TopicRuleSet {
  if (own.length === 0) return rules;
  const byDevice = new Map(rules.byDevice);
  byDevice.set(deviceId, [...(rules.byDevice.get(deviceId) ?? []), ...own]);
  return { ...rules, byDevice };
}

/** A rule with %u and %c filled in for one connection; a rule whose substitution is not one plain level is dropped (as mosquitto does). */
export interface BoundRule {
  readonly access: RuleAccess;
  readonly filter: string;
  readonly origin: string;
}

export function bindRules(rules: TopicRuleSet, who: { readonly deviceId: string | null; readonly clientId: string }): readonly BoundRule[] {
  const list = who.deviceId === null ? rules.anonymous : [...rules.everyone, ...(rules.byDevice.get(who.deviceId) ?? [])];
  const out: BoundRule[] = [];
  for (const r of list) {
    if (r.kind === 'topic') {
      out.push({ access: r.access, filter: r.topic, origin: r.origin });
      continue;
    }
    const needsUser = r.topic.includes('%u');
    if (needsUser && who.deviceId === null) continue;
    const plain = (v: string): boolean => v.length > 0 && !/[/+#\u0000]/.test(v);
    if (needsUser && !plain(who.deviceId!)) continue;
    if (r.topic.includes('%c') && !plain(who.clientId)) continue;
    const filter = r.topic.replace(/%u/g, who.deviceId ?? '').replace(/%c/g, who.clientId);
    out.push({ access: r.access, filter, origin: r.origin });
  }
  return out;
}

export type RuleVerdict = { readonly allow: true; readonly origin: string } | { readonly allow: false; readonly reason: string };

const grants = (access: RuleAccess, want: 'read' | 'write'): boolean => access === 'readwrite' || access === want;

/** A PUBLISH to `topic`: a matching deny refuses, else a matching write or readwrite rule allows. */
export function rulesAllowPublish(rules: readonly BoundRule[], topic: string): RuleVerdict {
  let allowedBy: string | null = null;
  for (const r of rules) {
    if (!topicMatches(r.filter, topic)) continue;
    if (r.access === 'deny') return { allow: false, reason: `denied by ${r.origin} (deny ${r.filter})` };
    if (allowedBy === null && grants(r.access, 'write')) allowedBy = r.origin;
  }
  return allowedBy === null ? { allow: false, reason: `no rule allows writing ${topic}` } : { allow: true, origin: allowedBy };
}

/**
 * A SUBSCRIBE to `filter`: allowed when a read rule covers every topic it can match, and no deny
 * rule shares a topic with it; so each message it brings is one the rules let the device read.
 */
export function rulesAllowSubscribe(rules: readonly BoundRule[], filter: string): RuleVerdict {
  let allowedBy: string | null = null;
  for (const r of rules) {
    if (r.access === 'deny') {
      if (filtersOverlap(r.filter, filter)) return { allow: false, reason: `denied by ${r.origin} (deny ${r.filter})` };
      continue;
    }
    if (allowedBy === null && grants(r.access, 'read') && filterCovers(r.filter, filter)) allowedBy = r.origin;
  }
  return allowedBy === null ? { allow: false, reason: `no rule allows reading all of ${filter}` } : { allow: true, origin: allowedBy };
}
