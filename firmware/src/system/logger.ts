// Structured logs for long-running processes: pino JSON lines on stdout (journald keeps them),
// level from UNIBOS_LOG_LEVEL.

import pino, { type Logger } from 'pino';

export function createLogger(name: string, env: NodeJS.ProcessEnv = process.env): Logger {
  return pino({ name, level: env.UNIBOS_LOG_LEVEL ?? 'info' });
}
