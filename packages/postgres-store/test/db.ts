import { afterAll, afterEach, beforeAll } from "vitest";
import pg from "pg";
import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";

/**
 * Gives a test file its own schema on TEST_DATABASE_URL, dropped after the file passes and kept
 * (for inspection) after it fails. `get()` is valid inside tests and hooks after beforeAll.
 */
export function useTestSchema(prefix = "store_test"): { get(): TestSchema; query<Row>(sql: string, params?: unknown[]): Promise<Row[]> } {
  let schema: TestSchema | undefined;
  let failed = false;
  beforeAll(async () => {
    schema = await createTestSchema({ prefix });
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") failed = true;
  });
  afterAll(async () => {
    if (schema && !failed) await schema.drop();
  });
  const get = () => {
    if (!schema) throw new Error("test schema not created yet");
    return schema;
  };
  return {
    get,
    async query<Row>(sql: string, params: unknown[] = []) {
      const client = new pg.Client({ connectionString: get().connectionString });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as Row[];
      } finally {
        await client.end();
      }
    },
  };
}
