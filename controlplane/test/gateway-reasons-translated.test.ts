// The gateway's reasons for not carrying a command (mesh-protocol's GATEWAY_TX_REASONS) read in
// Turkish in the admin UI and in `unibos msg`: the UI knows each by its sentence (plain browser
// JavaScript cannot import the definition), so a reason reworded or added at the gateway must be
// reworded or added there too, or a Turkish operator reads English.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { GATEWAY_NOT_SENT_PREFIX, GATEWAY_TX_REASONS } from '@unibos/mesh-protocol';
import { sayDeliveryError } from '../../cli/messenger-error-language.ts';

const JS = new URL('../public/js/', import.meta.url).pathname;

test("every gateway reason is one the admin UI translates, and Turkish in the UI and the CLI", async () => {
  const format = readFileSync(join(JS, 'format.js'), 'utf8');
  const { TR } = (await import(pathToFileURL(join(JS, 'locales', 'tr.js')).href)) as { TR: Record<string, unknown> };
  for (const [name, reason] of Object.entries(GATEWAY_TX_REASONS)) {
    const quoted = reason.includes("'") ? `"${reason}": () => t("${reason}")` : `'${reason}': () => t('${reason}')`;
    assert.ok(format.includes(quoted), `format.js deliveryError knows ${name}: ${reason}`);
    assert.equal(typeof TR[reason], 'string', `tr.js has ${name}`);
    const cli = sayDeliveryError(`${GATEWAY_NOT_SENT_PREFIX}${reason}`, 'tr');
    assert.ok(!cli.includes(reason) && cli.startsWith('gönderilmedi: '), `unibos msg says ${name} in Turkish: ${cli}`);
  }
});
