// One small logger for the whole gateway. Records go to a bounded in-memory ring (served by
// `logs.tail` and pushed as `log` events) and to a sink: readable lines on stderr by default,
// JSON lines with `--json`. Hand-written because it is tiny and the ring is ours.
//
// Log lines quote senders, chat names and imsg's errors, which a stranger can fill with terminal
// escapes or bidi overrides: the readable line escapes them (displaySafeText), so a log in a
// terminal cannot be rewritten by a message; the JSON sink writes them as \u escapes. Records
// keep the raw text (`logs.tail` and `log` events carry it; the web UI escapes what it shows).
import { displaySafe, displaySafeText, jsonDisplaySafe } from '../../contract/display-text';
import type { LogLevel, LogRecord } from '../../contract/gateway-api';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (record: LogRecord) => void;

export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
  /** A logger for a sub-scope sharing this one's ring and sinks, e.g. `imessage:default`. */
  child(scope: string): Logger;
}

export interface LogHub {
  logger(scope: string): Logger;
  /** Most recent records, oldest first. */
  tail(limit?: number): LogRecord[];
  /** Adds a sink; returns a function that removes it. */
  addSink(sink: LogSink): () => void;
  setLevel(level: LogLevel): void;
}

export function formatLogLine(record: LogRecord): string {
  const time = record.ts.slice(11, 23);
  // JSON.stringify escapes C0 controls but not C1 or bidi characters.
  const data = record.data && Object.keys(record.data).length > 0 ? ` ${displaySafe(JSON.stringify(record.data))}` : '';
  return `${time} ${record.level.padEnd(5)} [${displaySafe(record.scope)}] ${displaySafeText(record.msg)}${data}`;
}

export const stderrTextSink: LogSink = (record) => process.stderr.write(`${formatLogLine(record)}\n`);
export const stdoutJsonSink: LogSink = (record) => process.stdout.write(`${jsonDisplaySafe(JSON.stringify(record))}\n`);

export function createLogHub(options: { level?: LogLevel; ringSize?: number; sinks?: LogSink[] } = {}): LogHub {
  const ringSize = options.ringSize ?? 1000;
  const ring: LogRecord[] = [];
  const sinks = new Set<LogSink>(options.sinks ?? []);
  let minLevel = LEVEL_ORDER[options.level ?? 'info'];

  function emit(level: LogLevel, scope: string, msg: string, data?: Record<string, unknown>): void {
    if (LEVEL_ORDER[level] < minLevel) return;
    const record: LogRecord = { ts: new Date().toISOString(), level, scope, msg };
    if (data !== undefined) record.data = data;
    ring.push(record);
    if (ring.length > ringSize) ring.splice(0, ring.length - ringSize);
    for (const sink of sinks) {
      try {
        sink(record);
      } catch {
        // A broken sink (closed pipe, dead socket) must never take the gateway down.
      }
    }
  }

  function logger(scope: string): Logger {
    return {
      debug: (msg, data) => emit('debug', scope, msg, data),
      info: (msg, data) => emit('info', scope, msg, data),
      warn: (msg, data) => emit('warn', scope, msg, data),
      error: (msg, data) => emit('error', scope, msg, data),
      child: (sub) => logger(`${scope}:${sub}`),
    };
  }

  return {
    logger,
    tail: (limit = 200) => ring.slice(-Math.max(0, limit)),
    addSink(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
    setLevel(level) {
      minLevel = LEVEL_ORDER[level];
    },
  };
}

/** A logger that drops everything: for library code used without a gateway (tests, one-shot CLI). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
