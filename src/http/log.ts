/**
 * Structured JSON logs, one object per line. Secrets never reach the output: any field whose
 * name looks like a credential is replaced by "[redacted]" at any depth, and URLs lose their
 * user-info part.
 */
import type { Writable } from 'node:stream';
import { redactCredentials } from '../redact/credentials.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` (e.g. `{ requestId }`) to every line. */
  child(fields: LogFields): Logger;
  readonly level: LogLevel;
}

const SECRET_KEY = /(token|password|passwd|secret|authorization|api[-_]?key|credential)/i;

/** Deep copy with secret-looking keys redacted and credentials stripped from URLs. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') {
    // URL user-info, and credentials a remote may echo back in an error message.
    return redactCredentials(value).replace(
      /\b(Basic|Bearer|token)([ :=]+)[A-Za-z0-9._~+/=-]{6,}/gi,
      '$1$2[redacted]',
    );
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error)
    return { name: value.name, message: redact(value.message, depth + 1) };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

export interface LoggerOptions {
  /** @default 'info' */
  readonly level?: LogLevel;
  /** @default process.stderr */
  readonly stream?: Pick<Writable, 'write'>;
  /** Fields on every line, e.g. `{ component: 'gate' }`. */
  readonly base?: LogFields;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const stream = opts.stream ?? process.stderr;
  const make = (base: LogFields): Logger => {
    const write = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void => {
      if (ORDER[lvl] < ORDER[level]) return;
      const line = {
        time: new Date().toISOString(),
        level: lvl,
        msg,
        ...(redact({ ...base, ...fields }) as object),
      };
      stream.write(`${JSON.stringify(line)}\n`);
    };
    return {
      level,
      debug: (m, f) => write('debug', m, f),
      info: (m, f) => write('info', m, f),
      warn: (m, f) => write('warn', m, f),
      error: (m, f) => write('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(opts.base ?? {});
}

/** A logger that writes nothing (tests, benchmarks). */
export const silentLogger: Logger = createLogger({ level: 'silent' });
