import { describe, expect, it } from "vitest";
import { ConfigError, secret, type Connection } from "@project88/core";
import { createScriptedAdapter, generateDataset, ManualClock, type ScriptedAdapter } from "@project88/core/testing";
import { connection, createHarness, settle } from "./engine-harness.js";

const base = new Date("2026-07-04T14:00:00Z");
const start = "2026-07-01T06:30:00Z";
/** People per event: a backfill of 21 one-second pages, so a test can act while it runs. */
const PEOPLE = 200;

/** Two races, one only partner a sees and one only partner b sees; slow responses (1 s each), 10 rows a page, 200 people an event. */
function setup(connections = [connection("a"), connection("b")]) {
  const clock = new ManualClock(start);
  const data = generateDataset({ races: 2, base, registrationsPerEvent: PEOPLE });
  const [first, second] = data.races;
  if (first === undefined || second === undefined) throw new Error("fixture: two races");
  const races = [
    { ...first, visibleTo: ["a"] },
    { ...second, visibleTo: ["b"] },
  ];
  const inner = createScriptedAdapter({ clock, dataset: { ...data, races }, pageSize: 10, delayMs: 1000 });
  /** The credential value each registrations request was sent with. */
  const keys: string[] = [];
  /** Connections whose adapter resources were freed. */
  const closed: string[] = [];
  const adapter = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "closeConnection") return async (id: string) => void closed.push(id);
      if (property !== "fetchRegistrations") return Reflect.get(target, property, receiver);
      return (conn: Connection, ...rest: Parameters<ScriptedAdapter["fetchRegistrations"]> extends [unknown, ...infer R] ? R : never) => {
        keys.push(`${conn.id}=${conn.credentials.key?.reveal()}`);
        return target.fetchRegistrations(conn, ...rest);
      };
    },
  });
  const h = createHarness({ clock, adapter, connections });
  return { h, keys, closed, onlyA: first.raceId, onlyB: second.raceId };
}

describe("setConnections", () => {
  it("adds a connection while the engine runs: it is discovered and its races synced", async () => {
    const { h, onlyB } = setup([connection("a")]);
    await h.engine.start();
    await h.clock.advance(60_000);
    expect(await h.store.listRegistrations({ provider: "scripted", raceId: onlyB })).toHaveLength(0);
    const change = await h.engine.setConnections([connection("a"), connection("b")]);
    expect(change).toEqual({ added: ["b"], updated: [], removed: [], interrupted: [] });
    expect(h.events("connections:changed")).toEqual([change]);
    await h.clock.advance(60_000);
    expect(await h.store.listRegistrations({ provider: "scripted", raceId: onlyB })).toHaveLength(PEOPLE);
    expect((await h.engine.status()).connections.map((c) => c.id)).toEqual(["a", "b"]);
    await settle(h.clock, h.engine.stop());
  });

  it("removes a connection: its running pass is aborted without a failure, its leases released, its data kept", async () => {
    const { h, closed, onlyA, onlyB } = setup();
    await h.engine.start();
    await h.clock.advance(8_500); // discovery done, both backfills a few pages in
    const before = (await h.store.listRegistrations({ provider: "scripted", raceId: onlyA })).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(PEOPLE);
    const change = await h.engine.setConnections([connection("b")]);
    expect(change).toEqual({ added: [], updated: [], removed: ["a"], interrupted: ["a"] });
    expect(closed).toEqual(["a"]);
    h.adapter.resetLog();
    await h.clock.advance(60_000);
    expect(h.adapter.calls.filter((c) => c.connectionId === "a")).toEqual([]);
    const [eventA] = (await h.store.listEvents()).filter((e) => e.raceId === onlyA);
    expect(eventA?.state).toMatchObject({ leaseOwner: null, failures: 0, lastError: null, backfilledAt: null });
    const kept = await h.store.listRegistrations({ provider: "scripted", raceId: onlyA });
    expect(kept.length).toBeGreaterThanOrEqual(before);
    expect(kept.length).toBeLessThan(PEOPLE);
    // The other partner's work went on.
    expect(await h.store.listRegistrations({ provider: "scripted", raceId: onlyB })).toHaveLength(PEOPLE);
    expect(h.events("sync:error").every((e) => e.error.code === "ABORTED" && e.connectionId === "a")).toBe(true);
    await settle(h.clock, h.engine.stop());
  });

  it("removing a connection during its discovery ends that discovery; the other connection's goes on", async () => {
    const { h } = setup();
    await h.engine.start();
    await h.clock.advance(500); // both discoveries' first request in flight
    expect(
      h.adapter.calls
        .filter((c) => c.kind === "listRaces")
        .map((c) => c.connectionId)
        .sort(),
    ).toEqual(["a", "b"]);
    await h.engine.setConnections([connection("b")]);
    await h.clock.advance(5_000);
    const finished = new Map(h.events("discovery:finish").map((d) => [d.connectionId, d.error?.code ?? null]));
    expect(finished.get("a")).toBe("ABORTED");
    expect(finished.get("b")).toBeNull();
    expect(h.adapter.calls.filter((c) => c.connectionId === "a" && c.kind !== "listRaces")).toEqual([]);
    await settle(h.clock, h.engine.stop());
  });

  it("a new secret aborts the running pass, which reruns with the new secret; nothing is recorded as failed", async () => {
    const { h, keys } = setup([connection("a")]);
    await h.engine.start();
    await h.clock.advance(8_500);
    expect(keys).toEqual(["a=key-a"]);
    const change = await h.engine.setConnections([{ ...connection("a"), credentials: { key: secret("rotated-a") } }]);
    expect(change).toEqual({ added: [], updated: ["a"], removed: [], interrupted: ["a"] });
    await h.clock.advance(60_000);
    expect(keys.length).toBeGreaterThan(1);
    expect(new Set(keys.slice(1))).toEqual(new Set(["a=rotated-a"]));
    const [event] = await h.store.listEvents();
    expect(event?.state).toMatchObject({ failures: 0, lastError: null });
    expect(event?.state.backfilledAt).not.toBeNull();
    expect(JSON.stringify(h.log)).not.toContain("rotated-a");
    await settle(h.clock, h.engine.stop());
  });

  it("a new budget applies without interrupting the running pass", async () => {
    const { h, keys } = setup([connection("a")]);
    await h.engine.start();
    await h.clock.advance(8_500);
    const change = await h.engine.setConnections([connection("a", { callsPerHour: 500, burst: 10 })]);
    expect(change).toEqual({ added: [], updated: ["a"], removed: [], interrupted: [] });
    expect((await h.engine.status()).connections[0]).toMatchObject({ id: "a", callsPerHour: 500 });
    await h.clock.advance(60_000);
    expect(keys).toEqual(["a=key-a"]);
    expect(h.events("sync:error")).toEqual([]);
    await settle(h.clock, h.engine.stop());
  });

  it("a list that does not validate changes nothing and names the paths", async () => {
    const { h } = setup([connection("a")]);
    const bad = [connection("a"), connection("a"), { ...connection("c"), provider: "nope" }, connection("d", { maxInFlight: 0 })];
    const error = await h.engine.setConnections(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(["connections.1.id", "connections.2.provider", "connections.3.maxInFlight"]);
    expect((await h.engine.status()).connections.map((c) => c.id)).toEqual(["a"]);
    expect(h.events("connections:changed")).toEqual([]);
    // Setting the same list again is no change at all.
    expect(await h.engine.setConnections([connection("a")])).toEqual({ added: [], updated: [], removed: [], interrupted: [] });
    expect(h.events("connections:changed")).toEqual([]);
  });
});
