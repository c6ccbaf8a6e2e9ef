// The hub's outstanding claim challenges: each asker (an address block) holds at most its share,
// the hub at most its room, and a challenge taken or expired gives both back.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClaimChallenges, type OpenChallenge } from '../src/fleet/claim-challenges.ts';

const issued = (c: OpenChallenge | string): OpenChallenge => {
  assert.equal(typeof c, 'object', `refused: ${String(c)}`);
  return c as OpenChallenge;
};

test('an asker holds at most its share and the hub its room; taken or expired challenges give both back', () => {
  const challenges = new ClaimChallenges({ ttlMs: 1000, max: 3, maxPerHolder: 2 });
  const a1 = issued(challenges.issue(0, 'a'));
  issued(challenges.issue(10, 'a'));
  assert.equal(challenges.issue(20, 'a'), 'holder_full');
  issued(challenges.issue(30, 'b'));
  assert.equal(challenges.issue(40, 'c'), 'hub_full', 'three outstanding: the hub is full for everyone');
  // Taken (a claim answered it): a's share and the hub's room come back.
  assert.equal(challenges.take(a1.challenge.nonce, 50), a1);
  assert.equal(challenges.take(a1.challenge.nonce, 60), null, 'once only');
  issued(challenges.issue(70, 'c'));
  assert.equal(challenges.issue(80, 'a'), 'hub_full');
  // Expired: a's second (issued at 10) and b's (30) are gone by 1031.
  issued(challenges.issue(1031, 'a'));
  issued(challenges.issue(1031, 'a'));
  assert.equal(challenges.issue(1031, 'a'), 'holder_full');
});
