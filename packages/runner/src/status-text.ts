import type { EngineStatus, PlanReport } from "@project88/core";
import { describeSkew, notableSkew } from "./clock-text.js";
import { formatDuration } from "./duration.js";
import { formatInZone } from "./html.js";
import { scrubPersonal } from "./personal.js";
import { toStatusJson, type StatusJson } from "./status-json.js";

function rel(target: Date | null, now: Date): string {
  if (!target) return "-";
  const ms = target.getTime() - now.getTime();
  return ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
}

/**
 * `status` without `--json`: connections, then events grouped by tier, in plain text. It reads
 * the `/status` document, so it prints the same whether the database was read here or the
 * running process was asked over HTTP. The engine's own status is converted first.
 */
export function renderStatusText(input: StatusJson | EngineStatus, tierOrder: readonly string[]): string {
  const status = input.now instanceof Date ? toStatusJson(input as EngineStatus) : (input as StatusJson);
  const now = new Date(status.now);
  const date = (iso: string | null) => (iso === null ? null : new Date(iso));
  const lines: string[] = [
    `project88-sync status at ${status.now} (${status.events.length} current events of ${status.summary.events}; ${status.summary.done} finished, ${status.summary.activeRegistrations} active registrations)`,
    "",
    "Connections:",
  ];
  for (const c of status.connections) {
    const paused = c.pausedUntil && new Date(c.pausedUntil) > now ? `, paused until ${c.pausedUntil}` : "";
    const error = c.lastError ? `, last error ${c.lastError.code}: ${scrubPersonal(c.lastError.message)}` : "";
    const skew = notableSkew(c.clockSkewMs)
      ? `, ${describeSkew(c.clockSkewMs, c.provider)}${c.clockSkewMs > 0 ? " (cursors kept that much earlier)" : ""}`
      : "";
    lines.push(
      `  ${c.id} (${c.provider}): ${c.callsLastHour}/${c.callsPerHour} calls in the last hour, ${Math.floor(c.tokens)} tokens${paused}${skew}${error}`,
    );
    for (const r of c.forbiddenRaces) {
      const via = r.rerouted ? "synced through another connection" : "NOT SYNCED by any connection";
      lines.push(`    FORBIDDEN race ${r.provider}:${r.raceId} ${r.raceName} since ${r.since} (${via}): ${scrubPersonal(r.error.message)}`);
    }
  }
  if (notableSkew(status.databaseClockSkewMs)) lines.push(`  Database: ${describeSkew(status.databaseClockSkewMs, "the database's")}`);
  const tiers = [...tierOrder, ...new Set(status.events.map((e) => e.tier).filter((t) => !tierOrder.includes(t)))];
  for (const tier of tiers) {
    const events = status.events.filter((e) => e.tier === tier).sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
    if (events.length === 0) continue;
    lines.push("", `Tier ${tier} (${events.length}):`);
    for (const e of events) {
      const forbidden = e.forbiddenConnectionIds.length > 0 ? `FORBIDDEN for ${e.forbiddenConnectionIds.join(",")}` : "";
      const flags = [e.late ? "LATE" : "", e.failures > 0 ? `FAILING x${e.failures}` : "", e.backfilled ? "" : "backfilling", forbidden]
        .filter(Boolean)
        .join(" ");
      lines.push(
        `  ${e.provider}:${e.eventId}  ${e.raceName} / ${e.name}  starts ${formatInZone(new Date(e.startsAt), e.timezone)}  last ${rel(date(e.lastSuccessAt), now)}  next ${rel(date(e.nextSyncAt), now)}  ${e.registrations} registrations${flags ? `  ${flags}` : ""}`,
      );
    }
  }
  const problemRuns = status.problemRuns ?? [];
  if (problemRuns.length > 0) {
    // Bad provider data never stops a page; this is where an operator sees which rows need a person.
    lines.push("", `Bad provider data in recent passes (${problemRuns.length}):`);
    for (const r of problemRuns) {
      const first = r.sample[0];
      const example = first ? `, e.g. registration ${first.registrationId ?? "(no id)"}: ${first.reason}` : "";
      lines.push(
        `  run ${r.runId} ${r.kind} race ${r.raceId} (${r.connectionId}) ${rel(date(r.startedAt), now)}: ${r.problems} problem(s)${example}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** `plan` without `--json`: calls per connection per hour against the budget, and the late events. */
export function renderPlanText(plan: PlanReport): string {
  const lines: string[] = [`Forecast for the next ${plan.hours} h from ${plan.generatedAt.toISOString()}`];
  for (const c of plan.connections) {
    lines.push("", `${c.id} (budget ${c.callsPerHour} calls/hour):`);
    for (const hour of c.hours) {
      const share = hour.budget > 0 ? Math.round((hour.calls / hour.budget) * 100) : 0;
      lines.push(
        `  ${hour.start.toISOString().slice(0, 16).replace("T", " ")} UTC  ${String(hour.calls).padStart(6)} / ${hour.budget}  ${String(share).padStart(3)}%${hour.over ? "  OVER BUDGET" : ""}`,
      );
    }
    if (c.lateEvents.length === 0) lines.push("  no event will be late");
    for (const e of c.lateEvents) {
      lines.push(`  LATE: ${e.provider}:${e.eventId} (race ${e.raceId}, tier ${e.tier}) from ${e.from.toISOString()}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
