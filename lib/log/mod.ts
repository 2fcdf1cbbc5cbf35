/**
 * Structured logging: JSON lines in a cluster, readable `time level msg k=v` on a
 * terminal. One child logger per reconcile or stream carries its key fields.
 *
 * Secrets (tokens, keys, kubeconfigs) must never be passed as fields.
 *
 * @module
 */

/** Log levels, least to most severe. */
export const LEVELS = ["debug", "info", "warn", "error"] as const;
/** A log level. */
export type Level = (typeof LEVELS)[number];
/** Structured fields of a log line. */
export type Fields = Record<string, unknown>;

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Fields): Logger;
}

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Minimum level written; default `info`. */
  level?: Level;
  /** `json` (default) or `text` for terminals. */
  format?: "json" | "text";
  /** Where lines go; default stderr. */
  sink?: (line: string) => void;
  /** Clock, for tests. */
  now?: () => Date;
}

function render(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

function serializable(fields: Fields): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? { message: v.message, name: v.name } : v;
  }
  return out;
}

/** Creates a logger. */
export function createLogger(options: LoggerOptions = {}, base: Fields = {}): Logger {
  const min = LEVELS.indexOf(options.level ?? "info");
  const sink = options.sink ?? ((line: string) => console.error(line));
  const now = options.now ?? (() => new Date());
  const write = (level: Level, msg: string, fields: Fields = {}) => {
    if (LEVELS.indexOf(level) < min) return;
    const all = { ...base, ...fields };
    if (options.format === "text") {
      const kv = Object.entries(all).map(([k, v]) => `${k}=${render(v)}`).join(" ");
      sink(`${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${kv ? " " + kv : ""}`);
    } else {
      sink(JSON.stringify({ time: now().toISOString(), level, msg, ...serializable(all) }));
    }
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything; for tests and libraries given no logger. */
export const silentLogger: Logger = createLogger({ sink: () => {} });

/**
 * The logger for this process: level from LATTICE_LOG (or --log-level), JSON unless the
 * output is a terminal.
 */
export function loggerFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  isTerminal: boolean,
): Logger {
  const level = (LEVELS as readonly string[]).includes(env.LATTICE_LOG ?? "")
    ? env.LATTICE_LOG as Level
    : "info";
  return createLogger({ level, format: isTerminal ? "text" : "json" });
}
