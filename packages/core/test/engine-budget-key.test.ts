import { describe, expect, it } from "vitest";
import { createSyncEngine, credentialBudgetKey, secret, type EngineEvents } from "@project88/core";
import { createMemoryStore, createScriptedAdapter, generateDataset, ManualClock } from "@project88/core/testing";
import { settle } from "./engine-harness.js";

const SECRET = "sk-live-9f8e7d6c5b4a";

function engineWith(connections: { id: string; token: string; callsPerHour?: number; burst?: number }[]) {
  const clock = new ManualClock("2026-07-01T06:30:00Z");
  const store = createMemoryStore();
  const adapter = createScriptedAdapter({
    clock,
    dataset: generateDataset({ races: 6, base: new Date("2026-07-04T14:00:00Z"), registrationsPerEvent: 5 }),
  });
  const engine = createSyncEngine({
    adapters: [adapter],
    store,
    clock,
    owner: "budget-key",
    random: () => 0.5,
    connections: connections.map((c) => ({
      id: c.id,
      provider: "scripted",
      credentials: { token: secret(c.token) },
      callsPerHour: c.callsPerHour,
      burst: c.burst,
    })),
  });
  return { clock, store, adapter, engine };
}

describe("the default budget key is the credential's digest", () => {
  it("one real key under two connection ids shares one budget; the key shown is a digest, never the secret", async () => {
    const { clock, store, adapter, engine } = engineWith([
      { id: "east", token: SECRET, callsPerHour: 60, burst: 4 },
      { id: "west", token: SECRET, callsPerHour: 60, burst: 4 },
    ]);
    const throttled: EngineEvents["budget:throttled"][] = [];
    engine.on("budget:throttled", (p) => throttled.push(p));
    const status = await engine.status();
    const [east, west] = status.connections;
    expect(east?.budgetKey).toBe(west?.budgetKey);
    expect(east?.budgetKey).toBe(credentialBudgetKey("scripted", { token: secret(SECRET) }));
    expect(east?.budgetKey).toMatch(/^scripted:cred-[0-9a-f]{16}$/);
    expect(JSON.stringify(status)).not.toContain(SECRET);
    // Both connections together spend one bucket of 4: discovery (2) and one backfill call, then
    // wait (backfills leave the urgent tier's reserve, a quarter of the burst: 1). Two buckets
    // would have let 6 calls through.
    const run = engine.runOnce();
    for (let i = 0; i < 10; i++) await clock.advance(100);
    expect(adapter.calls).toHaveLength(3);
    expect(new Set(adapter.calls.map((c) => c.connectionId))).toEqual(new Set(["east", "west"]));
    const budgets = await store.getBudgets({ now: clock.now() });
    expect(budgets.map((b) => b.key)).toEqual([east?.budgetKey]);
    expect(JSON.stringify(budgets)).not.toContain(SECRET);
    expect(throttled).toEqual([]);
    await settle(clock, run);
  });

  it("two different keys never share a budget, even under similar ids", async () => {
    const { engine } = engineWith([
      { id: "a", token: "key-one" },
      { id: "b", token: "key-two" },
    ]);
    const [a, b] = (await engine.status()).connections;
    expect(a?.budgetKey).not.toBe(b?.budgetKey);
    expect(credentialBudgetKey("scripted", { apiKey: secret("k"), apiSecret: secret("s1") })).not.toBe(
      credentialBudgetKey("scripted", { apiKey: secret("k"), apiSecret: secret("s2") }),
    );
    expect(credentialBudgetKey("scripted", { token: secret("k") })).not.toBe(credentialBudgetKey("other", { token: secret("k") }));
  });
});
