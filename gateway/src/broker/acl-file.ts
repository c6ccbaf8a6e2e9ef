// The gateway's ACL file read at start-up: a bad rule stops the gateway with the file, the line and
// the reason (E_CONFIG), as any bad config value does.

import { readFileSync } from 'node:fs';
import { GatewayError } from '../gateway-error.ts';
import { parseAclFile, TopicRuleError, type TopicRuleSet } from './topic-rules.ts';

export function readAclFile(path: string): TopicRuleSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GatewayError('E_CONFIG', `cannot read the ACL file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseAclFile(text, path);
  } catch (err) {
    if (err instanceof TopicRuleError) throw new GatewayError('E_CONFIG', `bad rule in the ACL file: ${err.message}`, { cause: err });
    throw err;
  }
}
