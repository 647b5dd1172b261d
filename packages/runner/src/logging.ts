import type { Writable } from "node:stream";
import { redact, type EngineEventName, type EngineEvents, type Secret, type SyncEngine } from "@project88/core";
import { pino, type Logger, type LevelWithSilent } from "pino";
import pretty from "pino-pretty";

export type { Logger } from "pino";

/**
 * Paths pino censors whatever their value. Secrets are core `Secret`s (which serialise as
 * `[redacted]` anyway); these paths catch a plain string that slipped into a log object.
 */
export const REDACT_PATHS = [
  "apiKey",
  "apiSecret",
  "credentials",
  "password",
  "token",
  "databaseUrl",
  "connectionString",
  "url",
  "*.apiKey",
  "*.apiSecret",
  "*.credentials",
  "*.password",
  "*.token",
  "*.databaseUrl",
  "*.connectionString",
  "*.url",
  "headers.authorization",
];

export interface CreateLoggerOptions {
  /** Where lines go (the process's stdout in the CLI, or a `LogFile`). */
  readonly stream: Writable | LogFile;
  /** Human-readable lines (a TTY) instead of JSON lines. */
  readonly pretty?: boolean;
  readonly level?: LevelWithSilent;
  /**
   * Secret values scrubbed from every line as a last line of defence; a function is asked on
   * every line, so a reloaded configuration's new secrets are scrubbed too.
   */
  readonly secrets?: readonly Secret[] | (() => readonly Secret[]);
}

/** A log file (`--log-file`): JSON lines appended; `reopen()` after logrotate moved it. */
export type LogFile = ReturnType<typeof pino.destination>;

/**
 * Opens `path` for appending JSON lines (created with its directory when missing). Writes are
 * synchronous so the last lines before an exit are never lost. `reopen()` opens the path anew:
 * logrotate renames the file, then sends SIGHUP.
 */
export function openLogFile(path: string): LogFile {
  return pino.destination({ dest: path, append: true, mkdir: true, sync: true });
}

/**
 * The runner's logger: JSON lines (pino) or pino-pretty on a TTY, with redaction paths and a
 * final pass that replaces any configured secret value found in a line.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  // A value this short would blank out ordinary words of every line; real credentials are longer.
  const given = options.secrets ?? [];
  const scrubbable = (list: readonly Secret[]) => list.filter((s) => s.reveal().length >= MIN_SCRUB_LENGTH);
  const fixed = typeof given === "function" ? null : scrubbable(given);
  const scrub =
    fixed === null
      ? (line: string) => redact(line, scrubbable((given as () => readonly Secret[])()))
      : fixed.length > 0
        ? (line: string) => redact(line, fixed)
        : null;
  const destination = options.pretty
    ? pretty({ destination: options.stream, colorize: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname", sync: true })
    : options.stream;
  return pino(
    {
      level: options.level ?? "info",
      base: { name: "project88-sync" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      hooks: scrub !== null ? { streamWrite: scrub } : {},
    },
    destination,
  );
}

/** Secrets shorter than this are left to the redaction paths and `Secret`'s own serialisation. */
const MIN_SCRUB_LENGTH = 6;

type Level = "debug" | "info" | "warn" | "error";

/** Log level of each engine event: routine progress is debug, trouble is warn. */
const EVENT_LEVELS: { readonly [K in EngineEventName]: Level | ((payload: EngineEvents[K]) => Level) } = {
  "engine:start": "info",
  "engine:stop": "info",
  "discovery:start": "debug",
  "discovery:finish": (p) => (p.error || p.skipped.length > 0 ? "warn" : "info"),
  "discovery:skipped": "warn",
  "race:new": "debug",
  "event:new": "debug",
  "event:changed": "info",
  "sync:start": "debug",
  "sync:page": "debug",
  "sync:finish": "info",
  "sync:error": "warn",
  "sync:invalid": "warn",
  "reconcile:refused": "warn",
  "race:forbidden": "warn",
  "budget:throttled": "warn",
  "budget:over": "info",
  "schedule:late": "warn",
  "lease:lost": "warn",
  "privacy:returned": "warn",
  "privacy:anonymised": "info",
  "privacy:forgotten": "info",
  "connections:changed": "info",
  "history:pruned": "info",
  "engine:error": "error",
  "clock:skew": (p) => (p.exceeded ? "warn" : "info"),
  "listener:error": "error",
};

/** The engine's event emitter, as far as logging and metrics need it. */
export type EngineEmitter = Pick<SyncEngine, "on" | "off">;

/**
 * Writes one log line per engine event. Pass payloads carry `connectionId`, `raceId` and
 * `eventIds`, so every line of a sync names them. Returns a function that detaches the listeners.
 */
export function attachEngineLogging(engine: EngineEmitter, logger: Logger): () => void {
  const detach: (() => void)[] = [];
  for (const name of Object.keys(EVENT_LEVELS) as EngineEventName[]) {
    const listener = (payload: EngineEvents[typeof name]) => {
      const rule = EVENT_LEVELS[name] as Level | ((p: unknown) => Level);
      const level = typeof rule === "function" ? rule(payload) : rule;
      if (name === "listener:error") {
        const p = payload as EngineEvents["listener:error"];
        logger.error({ event: name, listenerOf: p.event, err: p.error }, name);
        return;
      }
      logger[level]({ event: name, ...(payload as object) }, name);
    };
    engine.on(name, listener as never);
    detach.push(() => engine.off(name, listener as never));
  }
  return () => {
    for (const fn of detach) fn();
  };
}
