import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStoreConformance } from "@project88/core/testing";
import { createPostgresStore, type PostgresStore } from "@project88/postgres-store";
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

  storeCases(() => store);
});
