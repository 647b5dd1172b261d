import type { Writable } from "node:stream";
import type { Env } from "./config.js";

/** An output stream, with the TTY facts the CLI looks at. */
export type OutputStream = Writable & { readonly isTTY?: boolean; readonly columns?: number };

/**
 * Everything a command takes from its process. `cli.ts` fills it from `process`; tests pass
 * their own streams, environment and signal, so every command runs in-process.
 */
export interface CliIo {
  readonly env: Env;
  readonly cwd: string;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Aborted on the first SIGTERM/SIGINT: stop claiming, finish the page in flight, exit 0. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Subscribes to SIGHUP (reread the configuration, reopen the log file); returns the
   * unsubscribe. Absent where the process has no such signal (tests in-process, Windows).
   */
  readonly onHangup?: ((listener: () => void) => () => void) | undefined;
}

/** Exit codes: 0 done, 1 the work failed, 2 bad usage or configuration. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Writes one line. */
export function println(stream: Writable, text = ""): void {
  stream.write(`${text}\n`);
}

/** Resolves when `signal` aborts (never, without one). */
export function whenAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
