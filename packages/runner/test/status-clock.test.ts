import { describe, expect, it } from "vitest";
import { toStatusJson } from "../src/index.js";
import { renderStatusPage } from "../src/status-page.js";
import { renderStatusText } from "../src/status-text.js";
import { engineStatus } from "./helpers.js";

const ORDER = ["high", "medium", "low", "done"];

/** Two connections: acme 90 s ahead of RunSignUp, zenith behind by 2 s (within 5 s); the database 40 s behind this host. */
function skewed() {
  const base = engineStatus();
  return {
    ...base,
    databaseClockSkewMs: 40_000,
    connections: [
      { ...base.connections[0]!, clockSkewMs: 90_000 },
      { ...base.connections[1]!, clockSkewMs: -2_000 },
    ],
  };
}

describe("clock skew in status", () => {
  it("status text names a skew beyond 5 s, and says cursors are kept earlier for a host ahead", () => {
    const text = renderStatusText(skewed(), ORDER);
    expect(text).toContain(
      "acme (runsignup): 420/1000 calls in the last hour, 17 tokens, this host's clock is 90 s ahead of runsignup (cursors kept that much earlier)",
    );
    expect(text).not.toMatch(/zenith[^\n]*clock/);
    expect(text).toContain("Database: this host's clock is 40 s ahead of the database's");
    const calm = renderStatusText(engineStatus(), ORDER);
    expect(calm).not.toContain("clock");
  });

  it("status JSON carries every measured skew; the page shows those beyond 5 s", () => {
    const json = toStatusJson(skewed());
    expect(json.databaseClockSkewMs).toBe(40_000);
    expect(json.connections.map((c) => [c.id, c.clockSkewMs])).toEqual([
      ["acme", 90_000],
      ["zenith", -2_000],
    ]);
    const html = renderStatusPage({ status: skewed(), tierOrder: ORDER, recentErrors: [] });
    expect(html).toContain("this host&#39;s clock is 90 s ahead of runsignup");
    expect(html).not.toContain("2 s behind");
  });
});
