import { EventEmitter } from "node:events";
import { Secret } from "@project88/core";
import { afterEach, describe, expect, it } from "vitest";
import { createErrorLog, createMetrics, startHttpServer, type EngineEmitter, type RunnerHttpServer } from "../src/index.js";
import { scrubPersonal } from "../src/personal.js";
import { engineStatus, eventStatus } from "./helpers.js";

const PATHS = ["/healthz", "/readyz", "/metrics", "/status", "/", "/nope"];

describe("the status server's exposure", () => {
  let server: RunnerHttpServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  const start = (extra: Partial<Parameters<typeof startHttpServer>[0]> = {}, errors = createErrorLog()) =>
    startHttpServer({
      port: 0,
      status: () => Promise.resolve(engineStatus()),
      metrics: createMetrics(),
      errors,
      tierOrder: ["high", "medium", "low", "done"],
      ...extra,
    });

  it("binds 127.0.0.1 unless told otherwise, and says what it bound", async () => {
    server = await start();
    expect(server.address).toBe("127.0.0.1");
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    await server.close();
    server = await start({ host: "0.0.0.0" });
    expect(server.address).toBe("0.0.0.0");
  });

  it("with a token, answers 401 without `Authorization: Bearer <token>` everywhere but /healthz", async () => {
    server = await start({ token: new Secret("t0ken-9c1f") });
    for (const path of PATHS) {
      const url = new URL(path, server.url);
      const none = await fetch(url);
      if (path === "/healthz") {
        expect(none.status).toBe(200);
        continue;
      }
      expect(none.status, path).toBe(401);
      expect(none.headers.get("www-authenticate")).toContain("Bearer");
      expect((await fetch(url, { headers: { authorization: "Bearer t0ken-9c1" } })).status, path).toBe(401);
      expect((await fetch(url, { headers: { authorization: "Bearer t0ken-9c1fX" } })).status, path).toBe(401);
      expect((await fetch(url, { headers: { authorization: "Basic t0ken-9c1f" } })).status, path).toBe(401);
      expect((await fetch(url, { headers: { authorization: "Bearer t0ken-9c1f" } })).status, path).toBe(path === "/nope" ? 404 : 200);
    }
  });

  it("sends a Content-Security-Policy on every response; the page's one style element carries its nonce", async () => {
    server = await start();
    for (const path of PATHS) {
      const csp = (await fetch(new URL(path, server.url))).headers.get("content-security-policy");
      expect(csp, path).toMatch(/^default-src 'none';/);
      expect(csp).toContain("frame-ancestors 'none'");
    }
    const page = await fetch(server.url);
    const csp = page.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    const html = await page.text();
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html).not.toMatch(/\sstyle="/);
    expect(html).not.toContain("<script");
    const again = (await fetch(server.url)).headers.get("content-security-policy");
    expect(again).not.toBe(csp);
  });

  it("survives an accept error such as EMFILE: the error is logged and the server keeps serving", async () => {
    const logged: unknown[] = [];
    const logger = { error: (obj: unknown) => logged.push(obj), warn: () => undefined, info: () => undefined };
    server = await start({ logger: logger as never });
    const emfile = Object.assign(new Error("accept EMFILE"), { code: "EMFILE", syscall: "accept" });
    expect(() => server?.server.emit("error", emfile)).not.toThrow();
    expect(logged).toHaveLength(1);
    expect((await fetch(new URL("/healthz", server.url))).status).toBe(200);
  });
});

/** Values that must never reach the page or /status, planted where error messages quote them. */
const DOB = "1987-03-14";
const EMAIL = "ada.canary@example.org";
const PHONE = "(303) 555-0142";
const NAME = "Canaryfirst";

describe("personal data on the status page and /status", () => {
  let server: RunnerHttpServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it("never shows a date of birth, email, phone or name, even inside error messages", async () => {
    const messages = [
      `[postgres-store] commitPage: registration "991" (runsignup) was not written: dob "${DOB}x" is not a calendar date (YYYY-MM-DD); the page was rolled back`,
      `[postgres-store] commitPage: invalid input syntax for type date: "${DOB}" (22007)`,
      `duplicate key value violates unique constraint; Key (email)=(${EMAIL}) already exists`,
      `[runsignup] race 85675: unexpected field first_name "${NAME}" phone: "${PHONE}"`,
      `contact ${EMAIL} or ${PHONE}, born ${DOB}`,
    ];
    const error = (message: string) => ({ name: "StoreError", code: "STORE" as const, message, retryable: false });
    const status = engineStatus(messages.map((m, i) => eventStatus({ eventId: String(1001 + i), failures: 1, lastError: error(m) })));
    const connections = status.connections.map((c) => ({ ...c, lastError: error(messages[4] as string) }));
    const emitter = new EventEmitter();
    const errors = createErrorLog();
    errors.attach(emitter as unknown as EngineEmitter);
    for (const m of messages) {
      emitter.emit("sync:error", {
        runId: "r",
        connectionId: "acme",
        provider: "runsignup",
        raceId: "500",
        eventIds: ["1001"],
        kind: "incremental",
        error: error(m),
        failures: 1,
        retryAt: null,
      });
    }
    // Bad provider data, as a pass records it: the reasons quote the values.
    const problem = (field: string, reason: string) => ({ registrationId: "991", eventId: "1001", field, reason, skipped: false });
    const problemRuns = [
      {
        runId: "r9",
        connectionId: "acme",
        provider: "runsignup",
        raceId: "500",
        eventIds: ["1001"],
        kind: "incremental" as const,
        startedAt: new Date("2026-06-13T11:00:00Z"),
        problems: 3,
        sample: [
          problem("dob", `dob "${DOB}x" is not a calendar date (YYYY-MM-DD)`),
          problem("firstName", `{"n":"${NAME}"} is not text`),
          problem("email", `"${EMAIL}" is too long`),
        ],
      },
    ];
    server = await startHttpServer({
      port: 0,
      status: () => Promise.resolve({ ...status, connections, problemRuns }),
      metrics: createMetrics(),
      errors,
      tierOrder: ["high", "done"],
      statusCacheMs: 0,
    });
    const json = await (await fetch(new URL("/status", server.url))).text();
    const page = await (await fetch(server.url)).text();
    for (const body of [json, page]) {
      for (const canary of [DOB, EMAIL, PHONE, NAME, "ada.canary", "555-0142"]) expect(body).not.toContain(canary);
      // What an operator needs stays: the registration, the problem, the code.
      expect(body).toContain("registration");
      expect(body).toContain("991");
      expect(body).toContain("is not a calendar date");
    }
  });

  it("keeps what is not personal: ids, instants, hosts and ports", () => {
    const text = "race 85675: connect ECONNREFUSED 10.0.0.12:5432; paused until 2026-06-13T12:00:00.000Z; events 1001, 1002";
    expect(scrubPersonal(text)).toBe(text);
  });
});
