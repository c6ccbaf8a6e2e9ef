// An upload is answered 201 only once its bytes are on disk (the file and its directory entry
// fsync'd, like every other write that acknowledges user data): a power cut after the answer must
// not leave a message pointing at an empty or missing attachment.

import assert from 'node:assert/strict';
import fs, { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession } from './support/test-auth.ts';

test('an uploaded attachment\u2019s bytes and directory entry are fsync\u2019d before the hub answers', async () => {
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const folder = join(hub.dataDir, 'messenger', 'attachments');
  const opened = new Map<number, string>();
  const synced: string[] = [];
  const open = fs.openSync;
  const fsync = fs.fsyncSync;
  mock.method(fs, 'openSync', (...args: Parameters<typeof fs.openSync>) => {
    const fd = open(...args);
    opened.set(fd, String(args[0]));
    return fd;
  });
  mock.method(fs, 'fsyncSync', (fd: number) => {
    synced.push(opened.get(fd) ?? `fd ${fd}`);
    return fsync(fd);
  });
  syncBuiltinESMExports();
  after(() => {
    mock.restoreAll();
    syncBuiltinESMExports();
  });

  const res = await fetch(`${hub.url}/api/v1/messenger/attachments`, { method: 'POST', headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/octet-stream' }, body: Buffer.from('sealed bytes') });
  assert.equal(res.status, 201, await res.clone().text());
  const { id } = (await res.json()) as { id: string };
  assert.deepEqual(readFileSync(join(folder, id)), Buffer.from('sealed bytes'));
  assert.ok(synced.includes(join(folder, id)), `the file is fsync'd (synced: ${JSON.stringify(synced)})`);
  assert.ok(synced.includes(folder), `its directory is fsync'd (synced: ${JSON.stringify(synced)})`);
});
