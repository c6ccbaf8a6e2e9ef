// `unibos hub init --email --password [--org]`: creates the first admin (owner of a new org)
// straight in a hub's data dir, without the setup link. Run it while the hub is stopped.

import { mkdirSync } from 'node:fs';
import { HubError } from '../hub-error.ts';
import { Accounts } from './accounts.ts';
import { openLowdbAccountStore } from './lowdb-account-store.ts';

export interface CreateFirstAdminOptions {
  dataDir: string;
  email: string;
  password: string;
  name?: string;
  orgName?: string;
  now?: () => number;
}

/** Refuses with E_SETUP_DONE when the hub already has a user; E_BAD_REQUEST for a bad email or short password. */
export async function createFirstAdmin(options: CreateFirstAdminOptions): Promise<{ userId: string; orgId: string; email: string }> {
  if (!/^[^\s@]+@[^\s@]+$/.test(options.email.trim())) throw new HubError('E_BAD_REQUEST', `email: not an email address: ${JSON.stringify(options.email)}`);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const store = await openLowdbAccountStore(options.dataDir);
  try {
    const { user, org } = await new Accounts(store, options.now).createFirstAdmin(options);
    return { userId: user.id, orgId: org.id, email: user.email };
  } finally {
    await store.close();
  }
}
