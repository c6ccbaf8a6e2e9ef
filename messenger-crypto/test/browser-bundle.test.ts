// The browser gets a bundled copy of this library, so it must bundle for the browser platform
// with no Node built-ins, and the bundle must work on its own (run here in a fresh VM context
// that has only the Web platform's crypto.getRandomValues, TextEncoder and TextDecoder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

test('the library bundles for the browser without Node built-ins, and the bundle runs a conversation', async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'MessengerCrypto',
    write: false,
    logLevel: 'silent',
  });
  assert.deepEqual(result.errors, []);
  const code = result.outputFiles[0]!.text;
  assert.doesNotMatch(code, /require\(["']node:|\bBuffer\./);

  const context = vm.createContext({ crypto: { getRandomValues: (a: Uint8Array) => webcrypto.getRandomValues(a) }, TextEncoder, TextDecoder });
  vm.runInContext(code, context);
  const out = vm.runInContext(
    `(() => {
      const M = MessengerCrypto;
      const alice = M.DeviceIdentity.generate({ oneTimePrekeys: 1 });
      const bob = M.DeviceIdentity.generate({ oneTimePrekeys: 1 });
      const a = new M.PairwiseSessions(alice, new M.TrustStore());
      const b = new M.PairwiseSessions(bob, new M.TrustStore());
      const bundle = bob.publishedBundle();
      a.startSession('bob/1', { ...bundle, oneTimePrekey: bundle.oneTimePrekeys[0] });
      const envelope = a.encrypt('bob/1', M.encodeMessageContent({ kind: 'message', text: 'from the browser' }));
      return M.decodeMessageContent(b.decrypt('alice/1', envelope), 'message').text;
    })()`,
    context,
  );
  assert.equal(out, 'from the browser');
});
