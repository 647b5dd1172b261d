import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStoreConformance } from "@project88/core/testing";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
import { race } from "./fixtures.js";
import { storeCases } from "./store-cases.js";

// PGlite takes seconds to start: one database for the whole file, a store handle per test.
let pglite: PGlite;
let store: PostgresStore;

beforeAll(async () => {
  pglite = await PGlite.create();
  store = await createPostgresStore({ pglite });
});
afterAll(async () => {
  await store?.close();
  await pglite?.close();
});

runStoreConformance(
  { describe, it, expect },
  { createStore: () => createPostgresStore({ pglite, migrate: false }), name: "PGlite store conformance" },
);

describe("postgres store on PGlite", () => {
  it("uses the embedded driver and the default schema", () => {
    expect(store.driver).toBe("pglite");
    expect(store.schema).toBe("project88_sync");
  });

  it("quotes the schema name: any name works and stays separate from the default schema", async () => {
    const odd = await createPostgresStore({ pglite, schema: 'Odd "Name"; DROP SCHEMA x' });
    try {
      const races = [{ ...race("900", ["9"]), provider: "oddprov" }].map((r) => ({
        ...r,
        events: r.events.map((e) => ({ ...e, provider: "oddprov" })),
      }));
      await odd.saveDiscovery({
        connectionId: "c",
        provider: "oddprov",
        races,
        now: new Date("2026-05-01T00:00:00Z"),
        newEventPriority: 0,
      });
      expect((await odd.listEvents({ provider: "oddprov" })).map((e) => e.eventId)).toEqual(["9"]);
      expect(await store.listEvents({ provider: "oddprov" })).toEqual([]);
    } finally {
      await odd.close();
    }
  });

  storeCases(() => store);
});
