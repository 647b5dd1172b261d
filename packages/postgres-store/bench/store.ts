/**
 * The store's write benchmark (`pnpm bench:store`): 100,000 RunSignUp-shaped registrations in
 * pages of 2,500 through the store (insert, 10% changed, nothing changed), against the origin
 * system's row-by-row method and a plain COPY into an unlogged table. Uses TEST_DATABASE_URL
 * (default: the local cluster) in a throwaway schema, dropped at the end.
 */
import pg from "pg";
import type { Registration } from "@project88/core";
import { createPostgresStore } from "@project88/postgres-store";
import { createTestSchema } from "@project88/postgres-store/testing";
import { copyCeiling, originMethod } from "./baselines.js";
import { EVENT_IDS, PROVIDER, RACE_ID, makeRegistration, pages } from "./dataset.js";

const TOTAL = Number(process.env.BENCH_ROWS ?? 100_000);
const ORIGIN_ROWS = Number(process.env.BENCH_ORIGIN_ROWS ?? 5_000);
const PAGE = 2_500;
const NOW = new Date("2026-05-01T08:00:00Z");
const OWNER = "bench";

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function main(): Promise<void> {
  const db = await createTestSchema({ prefix: "bench_store" });
  const store = await createPostgresStore({ connectionString: db.connectionString, schema: db.schema, poolSize: 2 });
  const client = new pg.Client({ connectionString: db.connectionString });
  await client.connect();
  try {
    const race = {
      provider: PROVIDER,
      raceId: RACE_ID,
      name: "Bench Half Marathon",
      timezone: "America/Denver",
      nextDate: "2026-06-01",
      raw: {},
      events: EVENT_IDS.map((eventId) => ({
        provider: PROVIDER,
        eventId,
        raceId: RACE_ID,
        name: eventId,
        startsAt: new Date("2026-06-01T14:00:00Z"),
        endsAt: null,
        raw: {},
      })),
    };
    await store.saveDiscovery({ connectionId: "bench", provider: PROVIDER, races: [race], now: NOW, newEventPriority: 0 });
    const refs = EVENT_IDS.map((eventId) => ({ provider: PROVIDER, eventId }));
    await store.claimEvents({ owner: OWNER, now: NOW, leaseMs: 86_400_000, refs });

    const rows = Array.from({ length: TOTAL }, (_, i) => makeRegistration(i));
    const changed = rows.map((r, i) => (i % 10 === 0 ? makeRegistration(i, 1) : r));
    const rawBytes = rows.slice(0, 1000).reduce((n, r) => n + JSON.stringify(r.raw).length, 0) / 1000;

    const pass = async (input: readonly Registration[], kind: "backfill" | "incremental") => {
      const runId = await store.startRun({
        owner: OWNER,
        now: NOW,
        connectionId: "bench",
        provider: PROVIDER,
        raceId: RACE_ID,
        eventIds: EVENT_IDS,
        kind,
      });
      const totals = { inserted: 0, updated: 0, unchanged: 0 };
      const started = performance.now();
      for (const page of pages(input, PAGE)) {
        const r = await store.commitPage({
          owner: OWNER,
          now: NOW,
          runId,
          provider: PROVIDER,
          eventIds: EVENT_IDS,
          registrations: page,
          backfillAfter: page.at(-1)?.registrationId,
        });
        totals.inserted += r.inserted;
        totals.updated += r.updated;
        totals.unchanged += r.unchanged;
      }
      return { ms: performance.now() - started, ...totals };
    };

    const a = await pass(rows, "backfill");
    const b = await pass(changed, "incremental");
    const c = await pass(changed, "incremental");
    const dMs = await originMethod(client, db.schema, rows.slice(0, ORIGIN_ROWS));
    const eMs = await copyCeiling(client, db.schema, rows);

    const rate = (n: number, ms: number) => (n / ms) * 1000;
    const ra = rate(TOTAL, a.ms);
    const rd = rate(ORIGIN_ROWS, dMs);
    const re = rate(TOTAL, eMs);
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
    console.log(`pnpm bench:store — ${new Date().toISOString()} — PostgreSQL ${version}, Node ${process.version}`);
    console.log(`${fmt(TOTAL)} registrations, raw JSON ~${fmt(rawBytes)} bytes each, pages of ${fmt(PAGE)}`);
    console.log("");
    console.log("| method | rows | seconds | rows/s | rows written |");
    console.log("|---|---:|---:|---:|---:|");
    console.log(`| (a) store, insert path | ${fmt(TOTAL)} | ${(a.ms / 1000).toFixed(2)} | ${fmt(ra)} | ${fmt(a.inserted + a.updated)} |`);
    console.log(
      `| (b) store, re-sync, 10% changed | ${fmt(TOTAL)} | ${(b.ms / 1000).toFixed(2)} | ${fmt(rate(TOTAL, b.ms))} | ${fmt(b.inserted + b.updated)} |`,
    );
    console.log(
      `| (c) store, re-sync, nothing changed | ${fmt(TOTAL)} | ${(c.ms / 1000).toFixed(2)} | ${fmt(rate(TOTAL, c.ms))} | ${fmt(c.inserted + c.updated)} |`,
    );
    console.log(
      `| (d) origin: SELECT then INSERT/UPDATE per row | ${fmt(ORIGIN_ROWS)} | ${(dMs / 1000).toFixed(2)} | ${fmt(rd)} | ${fmt(ORIGIN_ROWS)} |`,
    );
    console.log(`| (e) COPY into an unlogged table (ceiling) | ${fmt(TOTAL)} | ${(eMs / 1000).toFixed(2)} | ${fmt(re)} | ${fmt(TOTAL)} |`);
    console.log("");
    console.log(`(a)/(d) = ${(ra / rd).toFixed(1)}x   (a)/(e) = ${(ra / re).toFixed(2)}`);
  } finally {
    await client.end();
    await store.close();
    await db.drop();
  }
}

await main();
