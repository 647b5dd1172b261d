import type { EngineStatus, EventStatus } from "@project88/core";
import { describeSkew, notableSkew } from "./clock-text.js";
import { formatDuration } from "./duration.js";
import type { RecentError } from "./error-log.js";
import { escapeHtml as h, formatInZone } from "./html.js";
import { scrubPersonal } from "./personal.js";

export interface StatusPageInput {
  readonly status: EngineStatus;
  /** Tier names, most urgent first; tiers not listed follow in name order. */
  readonly tierOrder: readonly string[];
  readonly recentErrors: readonly RecentError[];
  /** The Content-Security-Policy nonce of this response's style element. */
  readonly nonce?: string | undefined;
  /** Seconds between automatic reloads (15). */
  readonly refreshSeconds?: number;
  readonly title?: string;
  /** Rows shown per tier before "and N more" (200). */
  readonly maxRowsPerTier?: number;
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5f7;color:#1b1f24}
header{background:#1b1f24;color:#fff;padding:12px 16px}header h1{margin:0;font-size:18px}header p{margin:4px 0 0;color:#c9d1d9;font-size:13px}
main{padding:12px;max-width:1100px;margin:0 auto}section{background:#fff;border-radius:8px;padding:12px;margin-bottom:12px;box-shadow:0 1px 2px #0002}
h2{font-size:16px;margin:0 0 8px}h2 .count{color:#57606a;font-weight:normal}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:6px 8px;border-top:1px solid #eaeef2;vertical-align:top}th{font-size:12px;color:#57606a;border-top:0}
.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#57606a;font-size:13px}
.badge{display:inline-block;padding:1px 6px;border-radius:10px;font-size:12px;margin-left:4px}.late{background:#ffebe9;color:#a40e26}.failing{background:#fff8c5;color:#7d4e00}.backfill{background:#ddf4ff;color:#0550ae}
.bar{height:8px;background:#eaeef2;border-radius:4px;overflow:hidden;min-width:80px}.bar span{display:block;height:100%;background:#2da44e}.bar.hot span{background:#cf222e}
.tier-high h2{color:#a40e26}.empty{color:#57606a}
@media (max-width:640px){thead{display:none}tr{display:block;border-top:1px solid #eaeef2;padding:6px 0}td{display:block;border:0;padding:2px 4px}td[data-label]::before{content:attr(data-label) ": ";color:#57606a;font-size:12px}.num{text-align:left}}
`;

function relative(target: Date | null, now: Date): string {
  if (!target) return "—";
  const ms = target.getTime() - now.getTime();
  if (Math.abs(ms) < 1_000) return "now";
  return ms > 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
}

function eventRow(e: EventStatus, now: Date): string {
  const badges = [
    e.late ? `<span class="badge late">late</span>` : "",
    e.failures > 0
      ? `<span class="badge failing" title="${h(scrubPersonal(e.lastError?.message ?? ""))}">failing ×${h(e.failures)}</span>`
      : "",
    e.backfilled ? "" : `<span class="badge backfill">backfilling</span>`,
    e.forbidden.length > 0
      ? `<span class="badge late" title="${h(e.forbidden.map((f) => scrubPersonal(f.error.message)).join("; "))}">forbidden for ${h(e.forbidden.map((f) => f.connectionId).join(", "))}</span>`
      : "",
  ].join("");
  return `<tr>
<td data-label="Event"><strong>${h(e.raceName)}</strong><br>${h(e.name)}${badges}<div class="muted">${h(e.provider)}:${h(e.eventId)}</div></td>
<td data-label="Starts">${h(formatInZone(e.startsAt, e.timezone))}<div class="muted">${h(relative(e.startsAt, now))} · ${h(e.timezone)}</div></td>
<td data-label="Last sync">${h(relative(e.lastSuccessAt, now))}</td>
<td data-label="Next sync">${h(relative(e.nextSyncAt, now))}</td>
<td data-label="Registrations" class="num">${h(e.registrations.toLocaleString("en-US"))}</td>
</tr>`;
}

function tierSections(input: StatusPageInput): string {
  const { status } = input;
  const max = input.maxRowsPerTier ?? 200;
  const byTier = new Map<string, EventStatus[]>();
  for (const e of status.events) {
    const list = byTier.get(e.tier) ?? [];
    list.push(e);
    byTier.set(e.tier, list);
  }
  const extra = [...byTier.keys()].filter((t) => !input.tierOrder.includes(t)).sort();
  const order = [...input.tierOrder, ...extra];
  return order
    .filter((tier) => byTier.has(tier) || tier !== "done")
    .map((tier) => {
      const events = (byTier.get(tier) ?? []).sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
      const shown = tier === "done" ? events.slice(-max).reverse() : events.slice(0, max);
      const more = events.length - shown.length;
      const body =
        events.length === 0
          ? `<p class="empty">No events in this tier.</p>`
          : `<table><thead><tr><th>Event</th><th>Starts (race's zone)</th><th>Last sync</th><th>Next sync</th><th class="num">Registrations</th></tr></thead><tbody>
${shown.map((e) => eventRow(e, status.now)).join("\n")}</tbody></table>${more > 0 ? `<p class="muted">and ${h(more)} more</p>` : ""}`;
      return `<section class="tier tier-${h(tier)}" data-tier="${h(tier)}"><h2>Tier ${h(tier)} <span class="count">(${h(events.length)})</span></h2>${body}</section>`;
    })
    .join("\n");
}

/**
 * The budget table. Each bar's width is a rule in the page's own style sheet, not a `style`
 * attribute: the Content-Security-Policy admits the one nonce'd style element and nothing inline.
 */
function budgetSection(status: EngineStatus): { html: string; css: string } {
  const widths: string[] = [];
  const rows = status.connections
    .map((c, index) => {
      const share = c.callsPerHour > 0 ? Math.min(1, c.callsLastHour / c.callsPerHour) : 0;
      widths.push(`#bar-${index}{width:${(share * 100).toFixed(1)}%}`);
      const paused =
        c.pausedUntil && c.pausedUntil > status.now
          ? `<span class="badge late">paused ${h(relative(c.pausedUntil, status.now))}</span>`
          : "";
      const forbidden = c.forbiddenRaces
        .map(
          (r) =>
            `<div class="forbidden"><span class="badge late">forbidden</span> race ${h(r.raceId)} ${h(r.raceName)} since ${h(relative(r.since, status.now))} · ${r.rerouted ? "synced through another connection" : "<strong>not synced by any connection</strong>"}</div>`,
        )
        .join("");
      const skew = notableSkew(c.clockSkewMs) ? `<div class="badge late">${h(describeSkew(c.clockSkewMs, c.provider))}</div>` : "";
      return `<tr><td data-label="Connection"><strong>${h(c.id)}</strong>${paused}<div class="muted">${h(c.provider)}</div>${skew}</td>
<td data-label="Calls last hour"><div class="bar${share > 0.9 ? " hot" : ""}"><span id="bar-${index}"></span></div><div class="muted">${h(c.callsLastHour)} / ${h(c.callsPerHour)} per hour</div></td>
<td data-label="Tokens" class="num">${h(Math.floor(c.tokens))}</td><td data-label="In flight" class="num">${h(c.inFlight)} / ${h(c.maxInFlight)}</td>
<td data-label="Last discovery">${h(relative(c.lastDiscovery?.finishedAt ?? null, status.now))}</td>
<td data-label="Last error">${c.lastError ? `${h(c.lastError.code)}: ${h(scrubPersonal(c.lastError.message))}` : "—"}${forbidden}</td></tr>`;
    })
    .join("\n");
  return {
    html: `<section id="budgets"><h2>Budget per connection</h2><table><thead><tr><th>Connection</th><th>Calls last hour</th><th class="num">Tokens</th><th class="num">In flight</th><th>Last discovery</th><th>Last error</th></tr></thead><tbody>${rows}</tbody></table></section>`,
    css: widths.join("\n"),
  };
}

function errorsSection(errors: readonly RecentError[], now: Date): string {
  if (errors.length === 0) return `<section id="errors"><h2>Recent errors</h2><p class="empty">None.</p></section>`;
  const items = errors
    .map(
      (e) =>
        `<li><strong>${h(e.code)}</strong> ${h(e.what)}${e.connectionId ? ` · ${h(e.connectionId)}` : ""}${e.raceId ? ` · race ${h(e.raceId)}` : ""}${e.eventIds.length ? ` · events ${h(e.eventIds.join(", "))}` : ""} <span class="muted">${h(relative(e.at, now))}</span><br>${h(scrubPersonal(e.message))}</li>`,
    )
    .join("\n");
  return `<section id="errors"><h2>Recent errors</h2><ul>${items}</ul></section>`;
}

/**
 * Renders the status page: server-side HTML a race director can read on a phone, reloading
 * itself every `refreshSeconds`. Every value is HTML-escaped; nothing on it is a secret.
 */
export function renderStatusPage(input: StatusPageInput): string {
  const { status } = input;
  const refresh = input.refreshSeconds ?? 15;
  const title = input.title ?? "project88-sync";
  const late = status.events.filter((e) => e.late).length;
  // Totals come from the store's summary: the events listed are only the working set.
  const registrations = status.summary.activeRegistrations;
  const budgets = budgetSection(status);
  const nonce = input.nonce === undefined ? "" : ` nonce="${h(input.nonce)}"`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="${h(refresh)}"><title>${h(title)} status</title><style${nonce}>${STYLE}
${budgets.css}</style></head>
<body><header><h1>${h(title)}</h1><p>${status.running ? "Running" : "Not running"} · ${h(status.summary.events)} events (${h(status.events.length)} current, older finished ones not listed) · ${h(registrations.toLocaleString("en-US"))} registrations · ${h(late)} late · updated ${h(status.now.toISOString().replace("T", " ").slice(0, 19))} UTC · refreshes every ${h(refresh)} s</p></header>
<main>
${budgets.html}
${tierSections(input)}
${errorsSection(input.recentErrors, status.now)}
</main></body></html>`;
}
