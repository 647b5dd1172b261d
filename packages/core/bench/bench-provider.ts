import type {
  CallContext,
  Connection,
  DiscoveryWindow,
  FetchRegistrationsArgs,
  Page,
  ProviderAdapter,
  Race,
  Registration,
  Removal,
} from "@project88/core";
import type { Clock } from "@project88/core";
import type { Workload } from "./workload.js";

const PAGE = 2500;

/**
 * A fast fake provider for the benchmark: rows indexed per event, the workload's changes applied
 * as the clock passes them, every request charged to the budget first and logged.
 */
export class BenchProvider implements ProviderAdapter {
  readonly provider = "bench";
  readonly pageSize = PAGE;
  readonly calls: { at: number; connectionId: string }[] = [];
  /** Most requests of one connection answered at once. */
  maxInFlight = 0;
  /** CPU time (user + system, microseconds) spent answering requests: the fake provider's own cost. */
  answerCpuUs = 0;
  readonly #inFlight = new Map<string, number>();
  readonly #clock: Clock;
  readonly #workload: Workload;
  readonly #rows = new Map<string, Map<string, Registration>>();
  readonly #removals = new Map<string, Map<string, Removal>>();
  /** Races per connection: listing one connection's races must not scan every partner's. */
  readonly #races = new Map<string, Race[]>();
  #next = 0;

  constructor(clock: Clock, workload: Workload) {
    this.#clock = clock;
    this.#workload = workload;
    for (const r of workload.initial) this.#eventRows(r.eventId).set(r.registrationId, r);
    for (const { connectionId, ...race } of workload.races) {
      const list = this.#races.get(connectionId);
      if (list === undefined) this.#races.set(connectionId, [race]);
      else list.push(race);
    }
  }

  #eventRows(eventId: string): Map<string, Registration> {
    let m = this.#rows.get(eventId);
    if (m === undefined) {
      m = new Map();
      this.#rows.set(eventId, m);
    }
    return m;
  }

  /** Applies every change up to now (time only moves forward). */
  #catchUp(now: number): void {
    const changes = this.#workload.changes;
    while (this.#next < changes.length && (changes[this.#next]?.at ?? Infinity) <= now) {
      const c = changes[this.#next++];
      if (c === undefined) break;
      if (c.kind === "upsert") this.#eventRows(c.row.eventId).set(c.row.registrationId, c.row);
      else {
        this.#eventRows(c.row.eventId).delete(c.row.registrationId);
        let m = this.#removals.get(c.row.eventId);
        if (m === undefined) {
          m = new Map();
          this.#removals.set(c.row.eventId, m);
        }
        const r = c.row;
        m.set(r.registrationId, {
          provider: "bench",
          registrationId: r.registrationId,
          raceId: r.raceId,
          eventId: r.eventId,
          reason: "removed",
          newRegistrationId: null,
          modifiedAt: r.modifiedAt,
          raw: {},
        });
      }
    }
  }

  async #request<T>(conn: Connection, ctx: CallContext, answer: () => T): Promise<T> {
    const slot = await ctx.budget.acquire(ctx.signal);
    const inFlight = (this.#inFlight.get(conn.id) ?? 0) + 1;
    this.#inFlight.set(conn.id, inFlight);
    this.maxInFlight = Math.max(this.maxInFlight, inFlight);
    try {
      const cpu = process.cpuUsage();
      const now = this.#clock.now().getTime();
      this.calls.push({ at: now, connectionId: conn.id });
      this.#catchUp(now);
      const answered = answer();
      const spent = process.cpuUsage(cpu);
      this.answerCpuUs += spent.user + spent.system;
      return answered;
    } finally {
      this.#inFlight.set(conn.id, (this.#inFlight.get(conn.id) ?? 1) - 1);
      slot.release();
    }
  }

  async *listRaces(conn: Connection, _window: DiscoveryWindow, ctx: CallContext): AsyncIterable<Race> {
    const mine = this.#races.get(conn.id) ?? [];
    for (let i = 0; i < mine.length; i += 100) {
      const batch = await this.#request(conn, ctx, () => mine.slice(i, i + 100));
      yield* batch;
    }
  }

  fetchRegistrations(conn: Connection, args: FetchRegistrationsArgs, ctx: CallContext): AsyncIterable<Page<Registration>> {
    return this.#pages(conn, args, ctx, (id) => [...(this.#rows.get(id)?.values() ?? [])]);
  }

  fetchRemovals(conn: Connection, args: FetchRegistrationsArgs, ctx: CallContext): AsyncIterable<Page<Removal>> {
    return this.#pages(conn, args, ctx, (id) => [...(this.#removals.get(id)?.values() ?? [])]);
  }

  async *#pages<Row extends { registrationId: string; modifiedAt: Date | null }>(
    conn: Connection,
    args: FetchRegistrationsArgs,
    ctx: CallContext,
    rowsOf: (eventId: string) => Row[],
  ): AsyncIterable<Page<Row>> {
    let after = args.after ?? null;
    for (;;) {
      const position = after;
      const page = await this.#request(conn, ctx, () => {
        const since = args.modifiedSince?.getTime();
        const rows = args.eventIds
          .flatMap(rowsOf)
          .filter((r) => since === undefined || (r.modifiedAt !== null && r.modifiedAt.getTime() >= since))
          .filter((r) => position === null || Number(r.registrationId) > Number(position))
          .sort((a, b) => Number(a.registrationId) - Number(b.registrationId))
          .slice(0, PAGE);
        return { rows, after: rows.length === PAGE ? (rows[rows.length - 1]?.registrationId ?? null) : null };
      });
      yield page;
      if (page.after === null) return;
      after = page.after;
    }
  }
}
