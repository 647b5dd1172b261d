import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root: children run there so `--import tsx` resolves. */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const CLI = join(REPO_ROOT, "packages/runner/src/cli.ts");
/** tsx's loader by absolute URL, so a child may run in any working directory. */
const TSX = pathToFileURL(join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;

/**
 * A `project88-sync` child process. It runs the CLI from source
 * (`node --conditions=source --import tsx src/cli.ts`): the same `cli.ts` the build ships, with
 * no build step before the tests.
 */
export interface CliChild {
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** stdout's JSON log lines so far (non-JSON lines skipped). */
  logs(): Record<string, unknown>[];
  /** Resolves with the first stdout line matching `test` (rejects if the process exits first). */
  waitForLine(test: (line: string) => boolean): Promise<string>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/** Children still running, so a failed test can stop what it started. */
const running = new Set<ChildProcess>();

/** Kills every child this test file started that is still running. */
export function killChildren(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

export function spawnCli(args: readonly string[], env: Record<string, string | undefined> = {}, cwd = REPO_ROOT): CliChild {
  const child = spawn(process.execPath, ["--conditions=source", "--import", TSX, CLI, ...args], {
    cwd,
    // Only what the CLI needs: a stray DATABASE_URL from the outer shell must not leak in.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.on("exit", () => running.delete(child));
  let out = "";
  let err = "";
  const waiters: { test: (line: string) => boolean; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  let partial = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      for (const w of waiters.splice(0))
        w.reject(new Error(`CLI exited (${code}) before the line appeared.\nstdout:\n${out.slice(-2000)}\nstderr:\n${err.slice(-2000)}`));
      resolve(code);
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    waitForLine: (test) => new Promise<string>((resolve, reject) => waiters.push({ test, resolve, reject })),
    exited,
    kill: (signal = "SIGTERM") => {
      child.kill(signal);
    },
  };
}

/** Runs the CLI to completion. */
export async function runCliProcess(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  cwd = REPO_ROOT,
): Promise<{ code: number | null; stdout: string; stderr: string; logs: Record<string, unknown>[] }> {
  const c = spawnCli(args, env, cwd);
  const code = await c.exited;
  return { code, stdout: c.stdout(), stderr: c.stderr(), logs: c.logs() };
}

/** A temporary directory holding a configuration file. */
export async function writeConfig(config: unknown): Promise<{ path: string; dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "p88-cli-"));
  const path = join(dir, "project88-sync.config.json");
  await writeFile(path, JSON.stringify(config, null, 2));
  return { path, dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A port nobody listens on right now (the OS picks it; the test then hands it to a child). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true (a condition in another process, not a timing assumption). */
export async function eventually(check: () => Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
