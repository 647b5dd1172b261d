import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, eventually, freePort, spawnCli, type CliChild, killChildren } from "./support/cli-process.js";

/** Debian's Chromium; nothing downloads a browser. */
const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describe("the status page in headless Chromium", () => {
  let demo: CliChild | null = null;
  let browser: Browser | null = null;

  afterAll(async () => {
    killChildren();
    await browser?.close();
    demo?.kill("SIGKILL");
  });

  it("shows the demo's events by tier on a phone-sized screen, and saves a screenshot", async () => {
    const port = await freePort();
    demo = spawnCli(["demo", "--port", String(port), "--per-event", "120", "--duration", "10m"]);
    await demo.waitForLine((l) => l.startsWith("status page:"));
    const base = `http://127.0.0.1:${port}/`;
    await eventually(async () => {
      const doc = (await (await fetch(`${base}status`)).json()) as { events: { backfilled: boolean }[] };
      return doc.events.length > 0 && doc.events.every((e) => e.backfilled);
    }, "the demo's backfill");
    const status = (await (await fetch(`${base}status`)).json()) as { events: { tier: string; name: string }[] };

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    // The page must work under its own Content-Security-Policy: Chromium reports every refusal.
    const refused: string[] = [];
    page.on("console", (msg) => {
      if (/Content Security Policy/i.test(msg.text())) refused.push(msg.text());
    });
    const response = await page.goto(base);
    expect(response?.headers()["content-security-policy"]).toMatch(/^default-src 'none'; style-src 'nonce-/);
    expect(response?.status()).toBe(200);
    expect(await page.locator("h1").textContent()).toContain("project88-sync demo");

    const tiers = await page
      .locator("section.tier")
      .evaluateAll((sections) => sections.map((s) => ({ tier: s.getAttribute("data-tier"), rows: s.querySelectorAll("tbody tr").length })));
    expect(tiers.map((t) => t.tier).slice(0, 3)).toEqual(["high", "medium", "low"]);
    for (const t of tiers) {
      expect(t.rows, `tier ${t.tier}`).toBe(status.events.filter((e) => e.tier === t.tier).length);
    }
    expect(tiers.find((t) => t.tier === "high")?.rows).toBeGreaterThan(0);
    // On a phone the table folds into labelled cards: no sideways scrolling.
    const overflow = (await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.locator("#budgets tbody tr").count()).toBe(3);
    // The style sheet applied (the page is styled), and each budget bar is as wide as its share.
    // (Evaluated as strings: the test is compiled without the DOM's types.)
    expect(await page.evaluate("getComputedStyle(document.body).fontFamily")).toContain("system-ui");
    const bars = (await page.evaluate(`[...document.querySelectorAll("#budgets tbody tr")].map((row) => {
      const bar = row.querySelector(".bar");
      const [calls, budget] = (row.querySelector(".bar + .muted").textContent.match(/\\d+/g) || []).map(Number);
      return { shown: bar.querySelector("span").getBoundingClientRect().width / bar.getBoundingClientRect().width, share: Math.min(1, calls / budget) };
    })`)) as { shown: number; share: number }[];
    for (const bar of bars) expect(bar.shown).toBeCloseTo(bar.share, 1);
    expect(bars.some((b) => b.share > 0)).toBe(true);
    expect(refused).toEqual([]);

    const dir = join(REPO_ROOT, "test-results");
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: join(dir, "status-page-phone.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(dir, "status-page-desktop.png") });

    demo.kill("SIGTERM");
    expect(await demo.exited).toBe(0);
    expect(demo.stdout()).toContain("demo summary");
    // Like with like: both counts cover the events discovered, and any difference is explained.
    const counts = /registrations: ([\d,]+) active in the database, ([\d,]+) at the fake RunSignUp, in the same (\d+) events/.exec(
      demo.stdout(),
    );
    expect(counts, demo.stdout()).not.toBeNull();
    expect(Number(counts?.[3])).toBe(status.events.length);
    if (counts?.[1] !== counts?.[2]) expect(demo.stdout()).toMatch(/difference: the database has [+-][\d,]+: /);
  }, 120_000);
});
