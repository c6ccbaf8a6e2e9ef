// Every --help page as a new user reads it at an 80-column terminal, in English and Turkish, and
// says what the command does: no line wider than the terminal, options lined up, flags that
// agree with what the command takes (sim --loss), and no option the command would ignore
// (gateway --role).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unibos } from './support/processes.ts';

const COMMANDS = ['sim', 'node', 'gateway', 'hub', 'demo', 'air', 'radio', 'status', 'peers', 'send', 'trace', 'sos', 'inbox', 'module', 'image', 'msg'];

test('every --help fits in 80 columns, in English and in Turkish', async () => {
  const wide: string[] = [];
  for (const lang of ['en', 'tr']) {
    for (const args of [['--help'], ...COMMANDS.map((c) => [c, '--help'])]) {
      const r = await unibos(args, { UNIBOS_LANG: lang });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stdout.length > 100, `${args.join(' ')} prints its help`);
      for (const line of r.stdout.split('\n')) if ([...line].length > 80) wide.push(`${lang} ${args.join(' ')}: [${[...line].length}] ${line}`);
    }
  }
  assert.deepEqual(wide, []);
});

/**
 * The options of a help page whose descriptions leave their list's column: each list of options
 * (and the lines its descriptions go on over) starts every description in one column, on the
 * option's line or, for a long option, the next; an option glued to its text by one space counts too.
 */
function misaligned(help: string): string[] {
  const width = (s: string) => [...s].length;
  const lines = help.split('\n');
  const bad: string[] = [];
  for (let i = 0; i < lines.length; ) {
    if (!/^ {2}-/.test(lines[i]!)) {
      i++;
      continue;
    }
    const block: string[] = [];
    while (i < lines.length && (/^ {2}-/.test(lines[i]!) || /^ {5,}\S/.test(lines[i]!))) block.push(lines[i++]!);
    const columns = new Set<number>();
    for (const line of block) {
      if (/^ {5,}\S/.test(line)) {
        columns.add(width(line) - width(line.trimStart()));
        continue;
      }
      const entry = /^ {2}-\S+(?: \S+)?(?: {2,}(\S.*))?$/.exec(line);
      if (!entry) bad.push(`not an option and its text: ${line}`);
      else if (entry[1] !== undefined) columns.add(width(line) - width(entry[1]));
    }
    if (columns.size > 1) bad.push(`columns ${[...columns].join(', ')}:\n${block.join('\n')}`);
  }
  return bad;
}

test('every --help starts its options\' descriptions in one column, in English and in Turkish', async () => {
  const bad: string[] = [];
  for (const lang of ['en', 'tr']) {
    for (const args of [['--help'], ...COMMANDS.map((c) => [c, '--help'])]) {
      const r = await unibos(args, { UNIBOS_LANG: lang });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      for (const b of misaligned(r.stdout)) bad.push(`${lang} ${args.join(' ')}: ${b}`);
    }
  }
  assert.deepEqual(bad, []);
  // What the check stands on: a node command's page in Turkish, as a reader sees it.
  const status = (await unibos(['status', '--help'], { UNIBOS_LANG: 'tr' })).stdout;
  assert.match(status, /^ {2}--data-dir KLASÖR\n {19}cihazın durum klasörü/m);
  assert.match(status, /^ {2}--node AD {8}demonun/m);
});

test('msg --help lines its options up and shows the hub at its default port', async () => {
  for (const lang of ['en', 'tr']) {
    const help = (await unibos(['msg', '--help'], { UNIBOS_LANG: lang })).stdout;
    const options = help.slice(help.search(/^(options|seçenekler):$/m));
    // Each option's text starts in one column (on the option's line, or on the next when the option is long).
    const columns = new Set(options.split('\n').filter((l) => /^ {2}--\S+ \S+ {2,}\S/.test(l)).map((l) => /^ {2}--\S+ \S+ {2,}/.exec(l)![0].length));
    assert.deepEqual([...columns], [22], `${lang}: ${options}`);
    assert.match(help, /http:\/\/hub\.local:8000/);
    assert.doesNotMatch(help, /8080/);
  }
});

test('sim --loss: the help and the command agree on the range', async () => {
  const help = (await unibos(['sim', '--help'])).stdout;
  assert.match(help, /--loss P .*0\.\.0\.95/);
  assert.equal((await unibos(['sim', '--nodes', '4', '--frames', '1', '--loss', '0.95'])).code, 0);
  const over = await unibos(['sim', '--nodes', '4', '--frames', '1', '--loss', '0.96']);
  assert.deepEqual([over.code, over.stderr], [2, "unibos sim: --loss must be a number from 0 to 0.95, got '0.96'\n"]);
});

test('gateway --role is not offered, and refused with the reason', async () => {
  const gateway = (await unibos(['gateway', '--help'])).stdout;
  assert.doesNotMatch(gateway, /^ {2}--role /m, 'the mesh role is not a gateway option');
  assert.match((await unibos(['node', '--help'])).stdout, /^ {2}--role CLIENT\|ROUTER\|GATEWAY/m, 'a node has it');
  for (const [lang, expected] of [
    ['en', "unibos gateway: a gateway's mesh role is always GATEWAY: --role is for `unibos node`\n"],
    ['tr', "unibos gateway: bir ağ geçidinin ağ rolü her zaman GATEWAY'dir: --role `unibos node` içindir\n"],
  ] as const) {
    const r = await unibos(['gateway', '--role', 'ROUTER', '--data-dir', '/nonexistent/unibos-gateway'], { UNIBOS_LANG: lang });
    assert.deepEqual([r.code, r.stderr], [2, expected]);
  }
});
