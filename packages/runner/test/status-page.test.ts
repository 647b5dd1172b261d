import { describe, expect, it } from "vitest";
import { toStatusJson } from "../src/index.js";
import { renderStatusPage } from "../src/status-page.js";
import { engineStatus, eventStatus } from "./helpers.js";

const ORDER = ["high", "medium", "low", "done"];

describe("status page", () => {
  it("groups events by tier in urgency order and shows the start in the race's zone", () => {
    const status = engineStatus([
      eventStatus({
        eventId: "1",
        name: "Marathon",
        tier: "low",
        startsAt: new Date("2026-07-04T13:00:00Z"),
        timezone: "America/New_York",
      }),
      eventStatus({ eventId: "2", name: "10K", tier: "high", startsAt: new Date("2026-06-13T14:30:00Z"), timezone: "America/Denver" }),
      eventStatus({ eventId: "3", name: "Fun Run", tier: "medium", startsAt: new Date("2026-06-14T07:00:00Z"), timezone: "Europe/London" }),
    ]);
    const html = renderStatusPage({ status, tierOrder: ORDER, recentErrors: [] });
    const high = html.indexOf('data-tier="high"');
    const medium = html.indexOf('data-tier="medium"');
    const low = html.indexOf('data-tier="low"');
    expect(high).toBeGreaterThan(0);
    expect(high).toBeLessThan(medium);
    expect(medium).toBeLessThan(low);
    // 14:30 UTC in Denver (summer time) is 08:30 MDT; 07:00 UTC in London is 08:00 BST.
    expect(html).toMatch(/08:30 MDT/);
    expect(html).toMatch(/08:00 BST/);
    expect(html).toMatch(/09:00 EDT/);
    expect(html).toContain('http-equiv="refresh"');
    expect(html).toContain('name="viewport"');
    expect(html).toContain("420 / 1000 per hour");
    expect(html).toContain("paused in 1m");
  });

  it("escapes everything that comes from a provider or an error", () => {
    const status = engineStatus([eventStatus({ raceName: "<script>alert(1)</script>", name: `"quoted" & 'single'` })]);
    const html = renderStatusPage({
      status,
      tierOrder: ORDER,
      recentErrors: [
        {
          at: status.now,
          what: "sync",
          connectionId: "acme",
          raceId: "500",
          eventIds: ["1"],
          code: "PROVIDER",
          message: "<img src=x onerror=alert(1)>",
        },
      ],
    });
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&quot;quoted&quot; &amp; &#39;single&#39;");
    expect(html).toContain("&lt;throttled&gt;");
  });

  it("status JSON carries the fields operators script against", () => {
    const json = toStatusJson(engineStatus());
    expect(json.events[0]).toMatchObject({
      provider: "runsignup",
      eventId: "1001",
      raceId: "500",
      name: "10K",
      startsAt: "2026-06-13T14:30:00.000Z",
      tier: "high",
      registrations: 1234,
    });
    expect(json.events[0]).toHaveProperty("nextSyncAt");
    expect(json.events[0]).toHaveProperty("lastSuccessAt");
    expect(json.connections[1]).toMatchObject({
      id: "zenith",
      callsLastHour: 990,
      callsPerHour: 1000,
      pausedUntil: "2026-06-13T12:01:00.000Z",
    });
    expect(json.connections[1]?.lastError?.code).toBe("RATE_LIMITED");
  });
});
