/**
 * The node's structured log: pino, one JSON object per line on stderr, with levels. The runtime and
 * API log plain records (`{ level, event, … }`) through a function, so they do not depend on pino;
 * this turns each record into a pino call at its level.
 */
import { pino, type Level } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

/** A log function writing to file descriptor `fd` (2: stderr) at `level` and above. */
export function structuredLog(level: LogLevel, fd = 2): (record: Record<string, unknown>) => void {
  // Synchronous, so the last records before an exit are not lost in a buffer.
  const logger = pino({ level, base: { pid: process.pid } }, pino.destination({ dest: fd, sync: true }));
  return (record) => {
    const { level: recordLevel, ...fields } = record;
    const at: Level = typeof recordLevel === 'string' && isLogLevel(recordLevel) && recordLevel !== 'silent' ? recordLevel : 'info';
    logger[at](fields);
  };
}
