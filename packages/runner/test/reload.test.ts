import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectionInput, ConnectionsChange } from "@project88/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, parseConfig } from "../src/index.js";
import { reloadConfiguration } from "../src/reload.js";
import { Capture } from "./helpers.js";
import { env, good } from "./support/bad-configs.js";

/** An engine that records what it was given and answers like the real one. */
function fakeEngine() {
  const given: (readonly ConnectionInput[])[] = [];
  let ids = ["acme", "zenith"];
  return {
    given,
    async setConnections(list: readonly ConnectionInput[]): Promise<ConnectionsChange> {
      given.push(list);
      const next = list.map((c) => c.id);
      const change = {
        added: next.filter((id) => !ids.includes(id)),
        updated: [],
        removed: ids.filter((id) => !next.includes(id)),
        interrupted: [],
      };
      ids = next;
      return change;
    },
  };
}

describe("reloadConfiguration (SIGHUP)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "p88-reload-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("applies connection changes, names settings that need a restart and keeps them as they run", async () => {
    const path = join(dir, "c.json");
    const current = parseConfig(good(), { env });
    const next = good();
    next.connections.pop();
    next.schedule.overlap = "90s";
    await writeFile(path, JSON.stringify({ ...next, retention: { days: 30 } }));
    const out = new Capture();
    const engine = fakeEngine();
    const result = await reloadConfiguration(current, { path, env, cwd: dir, engine, logger: createLogger({ stream: out }) });
    expect(engine.given.map((l) => l.map((c) => c.id))).toEqual([["acme"]]);
    const lines = out.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ event: "config:reloaded", removed: ["zenith"], added: [], needsRestart: ["schedule", "retention"] });
    expect(lines[1]).toMatchObject({ event: "config:restart-needed", settings: ["schedule", "retention"], level: 40 });
    expect(result.connections.map((c) => c.id)).toEqual(["acme"]);
    expect(result.schedule).toEqual(current.schedule);
    expect(result.retention).toBeNull();
    expect(out.text).not.toContain("secret-1");
  });

  it("refuses a file that does not parse or validate, naming the path; the engine is not touched", async () => {
    const current = parseConfig(good(), { env });
    for (const [name, text] of [
      ["broken.json", "{ not json"],
      ["invalid.json", JSON.stringify({ ...good(), connections: [] })],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, text);
      const out = new Capture();
      const engine = fakeEngine();
      const result = await reloadConfiguration(current, { path, env, cwd: dir, engine, logger: createLogger({ stream: out }) });
      expect(result).toBe(current);
      expect(engine.given).toEqual([]);
      const [line] = out.text
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(line).toMatchObject({ event: "config:refused", path });
      expect(String(line?.msg)).toContain(path);
      expect(String(line?.msg)).toContain("nothing changed");
    }
  });
});
