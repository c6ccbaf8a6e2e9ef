// images/build.sh as someone building a card image runs it, against a stand-in pi-gen checkout
// (the real one needs the Raspberry Pi archive) that refuses what upstream's build.sh refuses and
// names the image as upstream's export does: it refuses to build an image nobody can log in to (or
// one pi-gen would stop on), lays our config and stage into pi-gen with the bundle checksummed and
// the password-bearing config readable by the builder only, and leaves the image with its SHA-256
// in images/deploy/.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { buildBundle, packBundle } from '../image/bundle.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BUILD = join(REPO, 'images', 'build.sh');
const root = mkdtempSync(join(tmpdir(), 'unibos-image-build-'));
// pi-gen's export: ${ARCHIVE_FILENAME}${IMG_SUFFIX}.img.xz, ARCHIVE_FILENAME=image_${IMG_DATE}-${IMG_NAME}, IMG_SUFFIX from EXPORT_IMAGE.
const imageName = `image_2026-12-04-unibos-test-${process.pid}-unibos.img.xz`;
after(() => {
  rmSync(root, { recursive: true, force: true });
  for (const f of [imageName, `${imageName}.sha256`]) rmSync(join(REPO, 'images', 'deploy', f), { force: true });
});

function build(args: string[], env: NodeJS.ProcessEnv): { code: number | null; out: string } {
  const run = spawnSync('bash', [BUILD, ...args], { env: { ...process.env, FIRST_USER_PASS: '', PUBKEY_SSH_FIRST_USER: '', ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: run.status, out: run.stdout + run.stderr };
}

test('images/build.sh refuses an image without a login, and hands pi-gen our config, stage and bundle', { timeout: 180_000 }, async (t) => {
  const pigen = join(root, 'pi-gen');
  mkdirSync(join(pigen, 'stage2'), { recursive: true });
  // A stand-in pi-gen: checks what build.sh laid out, the way pi-gen's build.sh would read it,
  // refuses what upstream's refuses, and names the image as upstream's export-image does.
  writeFileSync(
    join(pigen, 'build.sh'),
    `#!/bin/bash -e
[ "$1" = -c ] && source "$2"
if [[ "$DISABLE_FIRST_BOOT_USER_RENAME" == "1" ]] && [ -z "\${FIRST_USER_PASS}" ]; then
	echo "To disable user rename on first boot, FIRST_USER_PASS needs to be set"
	exit 1
fi
[ -x stage-unibos/prerun.sh ] && [ -f stage-unibos/EXPORT_IMAGE ] && [ -f stage2/SKIP_IMAGES ]
(cd stage-unibos/01-unibos/files && sha256sum --quiet -c unibos-bundle.tar.gz.sha256)
[ -f stage-unibos/01-unibos/files/unibos.schema.json ] && [ ! -L stage-unibos/01-unibos/files/unibos.schema.json ]
mkdir -p deploy
# Where the config is, and who may read it (a Docker build copies the checkout into an image layer).
case "$(realpath "$2")" in "$PWD"/*) where=inside ;; *) where=outside ;; esac
echo "$STAGE_LIST|$FIRST_USER_PASS|$UNIBOS_DEFAULT_REGION|$RELEASE|$ARCH|$(stat -c %a "$2")|$where" > deploy/seen
IMG_DATE=2026-12-04
source stage-unibos/EXPORT_IMAGE
echo "an image" > "deploy/image_\${IMG_DATE}-\${IMG_NAME}\${IMG_SUFFIX}.img.xz"
`,
  );
  chmodSync(join(pigen, 'build.sh'), 0o755);

  const noLogin = build(['--pi-gen', pigen], {});
  assert.equal(noLogin.code, 1);
  assert.match(noLogin.out, /no way to log in: set FIRST_USER_PASS/);
  const notPigen = build(['--pi-gen', root], { FIRST_USER_PASS: 'x' });
  assert.match(notPigen.out, /is not a pi-gen checkout/);

  if (process.getuid?.() !== 0) {
    t.skip('skipped the build itself: a native pi-gen build runs as root');
    return;
  }
  const bundle = await buildBundle({ outDir: join(root, 'bundle'), arch: process.arch });
  const tarball = join(root, 'unibos-bundle-linux.tar.gz');
  packBundle(bundle.outDir, tarball);
  // An arm64 build host, as far as build.sh's check for qemu goes.
  const fakeBin = join(root, 'bin');
  mkdirSync(fakeBin);
  writeFileSync(join(fakeBin, 'uname'), '#!/bin/sh\n[ "$1" = -m ] && echo aarch64 || exec /usr/bin/uname "$@"\n');
  chmodSync(join(fakeBin, 'uname'), 0o755);
  const env = { UNIBOS_DEFAULT_REGION: 'US915', IMG_NAME: `unibos-test-${process.pid}`, PATH: `${fakeBin}:${process.env.PATH}` };

  // An SSH key alone: pi-gen would stop on it after the bundle was built; build.sh says so first.
  const key = join(root, 'id_ed25519.pub');
  writeFileSync(key, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBmG6fK0n0zZ8b0r3y5vQ2tXy0xWb3W0Z0v2m2hQz9cN builder@example\n');
  const keyOnly = build(['--pi-gen', pigen, '--bundle', tarball, '--ssh-key', key], env);
  assert.equal(keyOnly.code, 1, keyOnly.out);
  assert.match(keyOnly.out, /images\/build\.sh: an SSH key alone cannot build: pi-gen needs FIRST_USER_PASS/);
  assert.ok(!existsSync(join(pigen, 'deploy', 'seen')), 'pi-gen was not started');

  const built = build(['--pi-gen', pigen, '--bundle', tarball, '--ssh-key', key], { ...env, FIRST_USER_PASS: 'a build-time password' });
  assert.equal(built.code, 0, built.out);
  assert.equal(readFileSync(join(pigen, 'deploy', 'seen'), 'utf8').trim(), 'stage0 stage1 stage2 stage-unibos|a build-time password|US915|trixie|arm64|600|outside', 'the config with the password: mode 0600, outside the checkout a Docker build copies');
  const image = join(REPO, 'images', 'deploy', imageName);
  assert.ok(existsSync(image), built.out);
  const check = spawnSync('sha256sum', ['-c', `${imageName}.sha256`], { cwd: join(REPO, 'images', 'deploy'), encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(built.out, new RegExp(`image: .*${imageName.replace(/\./g, '\\.')}`));
});
