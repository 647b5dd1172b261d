import { EventEmitter } from "node:events";
import { Secret } from "@project88/core";
import { describe, expect, it } from "vitest";
import { attachEngineLogging, createLogger, type EngineEmitter } from "../src/index.js";
import { Capture } from "./helpers.js";

describe("logging", () => {
  const secret = new Secret("s3cr3t-value-canary");

  it("writes JSON lines, censors credential keys and scrubs secret values from every line", () => {
    const out = new Capture();
    const logger = createLogger({ stream: out, secrets: [secret] });
    logger.info({ apiSecret: "plain-string-secret", nested: { apiKey: "another" }, url: "https://x/Rest?api_secret=abc" }, "connecting");
    logger.warn(`an error that quoted ${secret.reveal()} by mistake`);
    logger.info({ credentials: { apiSecret: secret } }, "a Secret object");
    const lines = out.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(out.text).not.toContain("plain-string-secret");
    expect(out.text).not.toContain("another");
    expect(out.text).not.toContain("api_secret=abc");
    expect(out.text).not.toContain(secret.reveal());
    expect(lines[1]?.msg).toBe("an error that quoted [redacted] by mistake");
  });

  it("is human-readable on a TTY", () => {
    const out = new Capture();
    createLogger({ stream: out, pretty: true }).info({ connectionId: "acme" }, "hello there");
    expect(out.text).toContain("hello there");
    expect(() => JSON.parse(out.text)).toThrow();
  });

  it("logs every engine event with its ids, at a level by what it means", () => {
    const out = new Capture();
    const emitter = new EventEmitter();
    const detach = attachEngineLogging(emitter as unknown as EngineEmitter, createLogger({ stream: out, level: "debug" }));
    const pass = {
      runId: "r1",
      connectionId: "acme",
      provider: "runsignup",
      raceId: "500",
      eventIds: ["1001", "1002"],
      kind: "incremental",
    };
    emitter.emit("sync:page", { ...pass, feed: "registrations", rows: 3, inserted: 3, updated: 0, unchanged: 0, removed: 0 });
    emitter.emit("sync:error", {
      ...pass,
      error: { name: "ProviderError", code: "PROVIDER", message: "HTTP 503", retryable: true },
      failures: 1,
      retryAt: null,
    });
    detach();
    emitter.emit("sync:page", { ...pass, feed: "registrations", rows: 1, inserted: 1, updated: 0, unchanged: 0, removed: 0 });
    const lines = out.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.event, l.level])).toEqual([
      ["sync:page", 20],
      ["sync:error", 40],
    ]);
    for (const l of lines) expect(l).toMatchObject({ connectionId: "acme", raceId: "500", eventIds: ["1001", "1002"] });
  });
});
