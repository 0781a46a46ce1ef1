import { redactSecrets } from '@pulsestream/core/auth/redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The level a `LOG_LEVEL` value names; `info` when unset or unknown. For Durable Objects, which log without
 * parsing the whole config: the Worker's entry has already refused a bad value, and a config error must not
 * keep an object from starting.
 */
export function logLevelOf(value: string | undefined): LogLevel {
  return value !== undefined && Object.hasOwn(RANK, value) ? (value as LogLevel) : 'info';
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Whether a line at `level` would be written: lets a caller skip gathering fields for a silenced line. */
  enabled(level: LogLevel): boolean;
}

/**
 * One JSON object per line on stdout, which Workers Logs indexes. Every field passes through
 * `redactSecrets`, so a password, key or token handed to the logger by mistake never reaches the log.
 */
export function createLogger(level: LogLevel = 'info', base: Record<string, unknown> = {}): Logger {
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < RANK[level]) return;
    const line = redactSecrets({ level: lvl, time: new Date().toISOString(), msg, ...base, ...fields });
    const text = JSON.stringify(line);
    if (lvl === 'error') console.error(text);
    else if (lvl === 'warn') console.warn(text);
    else console.log(text);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }),
    enabled: (lvl) => RANK[lvl] >= RANK[level],
  };
}
