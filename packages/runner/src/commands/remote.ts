import type { PlanReport } from "@project88/core";
import type { RunnerConfig } from "../config.js";
import { DataDirLockedError } from "../data-dir-lock.js";
import type { StatusJson } from "../status-json.js";

/**
 * `status` and `plan` beside a running `start` on the embedded database: the data directory is
 * that process's alone, so they ask it over its HTTP server, whose address it records in the lock.
 */

/** The way out, for the message of a command refused by the lock. */
export function lockedMessage(error: DataDirLockedError, command: string): string {
  const { owner } = error;
  const ask = owner.http ? `; \`status\` and \`plan\` read it over HTTP at ${owner.http}` : "";
  return [
    `the embedded database in ${error.dir} is in use by process ${owner.pid} (${owner.command}) since ${owner.since}${ask}.`,
    `The embedded database serves one process at a time: to run \`${command}\` beside it, point both at PostgreSQL with DATABASE_URL (or database.url), or stop process ${owner.pid} first.`,
  ].join("\n");
}

/** GETs `path` from the process holding the lock, with the configured bearer token. */
async function fetchFromHolder(error: DataDirLockedError, config: RunnerConfig, path: string): Promise<string> {
  const base = error.owner.http;
  if (!base) throw error;
  const headers: Record<string, string> = config.http.token ? { authorization: `Bearer ${config.http.token.reveal()}` } : {};
  const response = await fetch(new URL(path, base), { headers, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) {
    throw new Error(
      `process ${error.owner.pid} answered ${response.status} at ${new URL(path, base).pathname}${response.status === 401 ? " (http.token differs)" : ""}`,
    );
  }
  return response.text();
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** The holder's `/status` document. */
export async function remoteStatus(error: DataDirLockedError, config: RunnerConfig): Promise<StatusJson> {
  return JSON.parse(await fetchFromHolder(error, config, "status")) as StatusJson;
}

/** The holder's forecast, instants revived as dates. */
export async function remotePlan(error: DataDirLockedError, config: RunnerConfig, hours: number): Promise<PlanReport> {
  const text = await fetchFromHolder(error, config, `plan?hours=${hours}`);
  return JSON.parse(text, (_key, value: unknown) =>
    typeof value === "string" && ISO_INSTANT.test(value) ? new Date(value) : value,
  ) as PlanReport;
}

export { DataDirLockedError };
