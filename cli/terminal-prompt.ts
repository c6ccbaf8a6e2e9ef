// Questions asked at a terminal: an answer typed in the open, or a secret typed without echo.
// Ctrl-D instead of an answer ends the command with one line, not a stack.

import { createInterface } from 'node:readline/promises';
import type { ReadStream } from 'node:tty';
import { CliError } from './cli-error.ts';
import { say } from './cli-language.ts';

const ENDED = 'no answer (the input ended); nothing was done';

/** One line typed at the terminal, echoed as usual. */
export async function askLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } catch (err) {
    // Ctrl-D closes the interface, which aborts the question.
    if ((err as Error).name === 'AbortError') throw new CliError(say(ENDED));
    throw err;
  } finally {
    rl.close();
  }
}

/** One line typed at the terminal without echo (a password). */
export function askSecret(question: string): Promise<string> {
  const stdin = process.stdin as ReadStream;
  // Echo goes off before the question shows, so nothing typed after it is echoed.
  stdin.setRawMode(true);
  process.stdout.write(question);
  return new Promise((resolve, reject) => {
    let answer = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(), resolve(answer);
        if (ch === '\u0004' && answer === '') return finish(), reject(new CliError(say(ENDED)));
        if (ch === '\u0003') {
          // Ctrl-C: put the terminal back, then stop as the signal would have.
          finish();
          process.kill(process.pid, 'SIGINT');
          return;
        }
        if (ch === '\u007f' || ch === '\b') answer = [...answer].slice(0, -1).join('');
        else if (ch === '\u0015') answer = '';
        else if (ch >= ' ') answer += ch;
      }
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}
