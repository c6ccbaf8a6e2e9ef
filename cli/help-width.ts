// Help pages fitted to an 80-column terminal, in every language: the descriptions of a list of
// options (or commands) start in one column, whatever the length of a translated flag's argument
// (`--data-dir KLASÖR`); a line too long is broken at a space, its rest hung under where its text
// starts (an option's description, a usage line's arguments) and run into the next line of the
// same paragraph, so a translation longer than the English needs no hand-wrapping.

export const HELP_WIDTH = 80;

const width = (s: string): number => [...s].length;
const indentOf = (s: string): number => s.length - s.trimStart().length;

/** Where the rest of a too-long line goes, and whether it may run into the next line. */
function hangFor(line: string): { hang: number; flows: boolean; usage: boolean } {
  const indent = indentOf(line);
  const usage = /^(\S+: |\s{5,})unibos /.exec(line);
  if (usage) return { hang: usage[1]!.length + 4, flows: false, usage: true };
  if (indent === 0) return { hang: 0, flows: true, usage: false };
  if (indent >= 5) return { hang: indent, flows: true, usage: false };
  // An entry: `  --flag ARG   its description`; without a gap, an example or a command line.
  const entry = /^(\s+\S+(?: \S+)*\s{2,})\S/.exec(line);
  return entry ? { hang: entry[1]!.length, flows: true, usage: false } : { hang: indent + 4, flows: false, usage: false };
}

/**
 * Breaks `line` at the last space that leaves it at most `max` columns, never before a `-` (it
 * would read as a new option) and in a usage line before a `[` when it can.
 */
function breakAt(line: string, hang: number, max: number, usage: boolean): number {
  const chars = [...line];
  for (const before of usage ? ['[', ''] : ['']) {
    for (let i = Math.min(max, chars.length - 1); i > hang; i--) {
      if (chars[i] === ' ' && chars[i - 1] !== ' ' && chars[i + 1] !== '-' && (!before || chars[i + 1] === before)) return chars.slice(0, i).join('').length;
    }
  }
  return -1;
}

/** `  --flag ARG   its text`: the entry's head and, after a gap of two spaces or more, its text. */
const ENTRY = /^ {2}(\S+(?: \S+)*)(?: {2,}(\S.*))?$/;
const CONTINUED = /^ {5,}\S/;

/**
 * Lines up every list of entries (options, commands) on the column most of its entries use, the
 * one the page was written for: an entry whose head is too long for it (a translated placeholder)
 * gets its text on the next line in that column, and the lines that go on an entry's text are
 * moved to it too.
 */
function alignEntries(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    if (!ENTRY.test(lines[i]!)) {
      out.push(lines[i++]!);
      continue;
    }
    let end = i + 1;
    while (end < lines.length && (ENTRY.test(lines[end]!) || CONTINUED.test(lines[end]!))) end++;
    const block = lines.slice(i, end);
    i = end;
    const used = new Map<number, number>();
    for (const line of block) {
      const m = ENTRY.exec(line);
      if (m?.[2] !== undefined) {
        const at = width(line) - width(m[2]);
        used.set(at, (used.get(at) ?? 0) + 1);
      }
    }
    if (used.size === 0) {
      out.push(...block);
      continue;
    }
    const column = [...used].sort(([a, n], [b, k]) => k - n || a - b)[0]![0];
    for (const line of block) {
      const m = ENTRY.exec(line);
      if (!m) out.push(`${' '.repeat(column)}${line.trimStart()}`);
      else if (m[2] === undefined) out.push(line);
      else if (2 + width(m[1]!) + 2 <= column) out.push(`  ${m[1]!}${' '.repeat(column - 2 - width(m[1]!))}${m[2]}`);
      else out.push(`  ${m[1]!}`, `${' '.repeat(column)}${m[2]}`);
    }
  }
  return out;
}

export function fitHelp(text: string, max = HELP_WIDTH): string {
  const lines = alignEntries(text.split('\n'));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    while (width(line) > max) {
      const { hang, flows, usage } = hangFor(line);
      const at = breakAt(line, hang, max, usage);
      if (at < 0) break;
      out.push(line.slice(0, at));
      const rest = line.slice(at + 1);
      const next = lines[i + 1];
      // The rest runs into the next line when that line goes on the same text at the same indent.
      if (flows && next !== undefined && next.trim() !== '' && !next.endsWith(':') && indentOf(next) === hang && hangFor(next).hang === hang) {
        lines[i + 1] = `${' '.repeat(hang)}${rest} ${next.trimStart()}`;
        line = '';
        break;
      }
      line = `${' '.repeat(hang)}${rest}`;
    }
    if (line !== '' || lines[i] === '') out.push(line);
  }
  return out.join('\n');
}
