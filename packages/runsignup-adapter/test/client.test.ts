import { AuthError, NotFoundError, ProviderError, RateLimitedError, SchemaError, secret, type Connection } from "@project88/core";
import { createCountingBudget } from "@project88/core/testing";
import { MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createRunSignupAdapter } from "../src/index.js";
import { callContext, collect } from "./support/budget.js";

const conn: Connection = {
  id: "partner-a",
  provider: "runsignup",
  credentials: { apiKey: secret("key-1"), apiSecret: secret("s3cret") },
  budgetKey: "runsignup:partner-a",
  callsPerHour: 1000,
  maxInFlight: 2,
};
const args = { raceId: "85675", eventIds: ["661702", "661703"] };

let agent: MockAgent;
afterEach(async () => {
  await agent.close();
});

function reply(status: number, body: string, headers: Record<string, string> = {}) {
  agent = new MockAgent();
  agent.disableNetConnect();
  agent
    .get("https://runsignup.com")
    .intercept({ path: /^\/Rest\//, method: "GET" })
    .reply(status, body, { headers });
  return createRunSignupAdapter({ dispatcher: agent });
}

async function failure(status: number, body: string, headers: Record<string, string> = {}, now = new Date()) {
  const adapter = reply(status, body, headers);
  const budget = createCountingBudget();
  const error = await collect(adapter.fetchRegistrations(conn, args, callContext(budget, undefined, now))).catch((e: unknown) => e);
  expect(budget.acquired).toBe(1);
  expect(budget.released).toBe(1);
  return error as Error;
}

describe("HTTP and body mapping", () => {
  it("maps HTTP statuses", async () => {
    expect(await failure(401, "")).toBeInstanceOf(AuthError);
    expect(await failure(403, "")).toBeInstanceOf(AuthError);
    const notFound = await failure(404, "<html>not here</html>");
    expect(notFound).toBeInstanceOf(ProviderError);
    expect((notFound as ProviderError).retryable).toBe(false);
    const unavailable = await failure(503, "", { "retry-after": "30" });
    expect(unavailable).toMatchObject({ httpStatus: 503, retryable: true });
  });

  it("honours Retry-After as seconds or as an HTTP date", async () => {
    expect(await failure(429, "", { "retry-after": "12" })).toMatchObject({ retryAfterMs: 12_000 });
    const now = new Date("2026-06-01T12:00:00Z");
    const error = await failure(429, "", { "retry-after": "Mon, 01 Jun 2026 12:01:30 GMT" }, now);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(90_000);
    expect(await failure(429, "")).toMatchObject({ retryAfterMs: null });
  });

  it("caps Retry-After at one hour, as seconds or as a far HTTP date", async () => {
    // 30 days would overflow a Node timer (2^31 ms) and fire after 1 ms: a busy loop.
    expect(await failure(429, "", { "retry-after": String(30 * 86_400) })).toMatchObject({ retryAfterMs: 3_600_000 });
    const now = new Date("2026-06-01T12:00:00Z");
    expect(await failure(429, "", { "retry-after": "Fri, 01 Jan 2100 00:00:00 GMT" }, now)).toMatchObject({ retryAfterMs: 3_600_000 });
  });

  it("finds an error envelope wrapped in an array", async () => {
    const error = await failure(200, '[{"error":{"error_code":301,"error_msg":"Event not found."}}]');
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toBe("[runsignup] race 85675 participants: error 301 Event not found.");
  });

  it("treats empty, HTML and cut-off bodies as retryable provider failures", async () => {
    for (const body of ["", "<!DOCTYPE html><p>maintenance</p>", '[{"event":{"event_id":1},"participants":[{"registration_id":1,']) {
      const error = await failure(200, body);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).retryable).toBe(true);
    }
  });

  it("rejects a body of the wrong shape with a SchemaError instead of an empty page", async () => {
    // A bad row is no bad page (see bad-rows.test.ts); a body whose envelope is wrong is.
    for (const body of [
      "{}",
      '{"races":[]}',
      '[{"participants":[]}]',
      '[{"event":{"event_id":"x"},"participants":[]}]',
      '[{"event":{"event_id":1},"participants":{}}]',
    ]) {
      const error = await failure(200, body);
      expect(error, body).toBeInstanceOf(SchemaError);
    }
  });

  it("sends format=json, the CSV event ids, keyset sort and credentials", async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const seen: string[] = [];
    agent
      .get("https://runsignup.com")
      .intercept({
        path: (p) => {
          seen.push(p);
          return true;
        },
        method: "GET",
      })
      .reply(200, "[]");
    const adapter = createRunSignupAdapter({ dispatcher: agent, pageSize: 500 });
    const pages = await collect(
      adapter.fetchRegistrations(conn, { ...args, modifiedSince: new Date("2026-06-01T12:00:00.999Z"), after: "77" }, callContext()),
    );
    expect(pages).toEqual([{ rows: [], after: null }]);
    const url = new URL(`https://runsignup.com${seen[0]}`);
    expect(url.pathname).toBe("/Rest/race/85675/participants");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      format: "json",
      event_id: "661702,661703",
      sort: "registration_id ASC",
      results_per_page: "500",
      after_registration_id: "77",
      modified_after_timestamp: String(Date.parse("2026-06-01T12:00:00Z") / 1000),
      api_key: "key-1",
      api_secret: "s3cret",
    });
  });

  it("asks for question answers only for a connection that wants them (they hold medical notes)", async () => {
    /** The participants query a connection's request carries, under the given adapter options. */
    let previous: MockAgent | undefined;
    async function questionsParam(
      connection: Connection,
      options: { includeQuestions?: boolean } = {},
      endpoint: "participants" | "removed" = "participants",
    ) {
      await previous?.close();
      agent = new MockAgent();
      previous = agent;
      agent.disableNetConnect();
      const seen: string[] = [];
      agent
        .get("https://runsignup.com")
        .intercept({
          path: (p) => {
            seen.push(p);
            return true;
          },
          method: "GET",
        })
        .reply(200, endpoint === "participants" ? "[]" : '{"removed_participants":[]}');
      const adapter = createRunSignupAdapter({ dispatcher: agent, ...options });
      if (endpoint === "participants") await collect(adapter.fetchRegistrations(connection, args, callContext())).catch(() => undefined);
      else await collect(adapter.fetchRemovals(connection, args, callContext())).catch(() => undefined);
      return new URL(`https://runsignup.com${seen[0]}`).searchParams.get("include_questions");
    }
    expect(await questionsParam(conn)).toBeNull();
    expect(await questionsParam({ ...conn, includeQuestions: false })).toBeNull();
    expect(await questionsParam({ ...conn, includeQuestions: true })).toBe("T");
    // The connection's choice wins over the adapter-wide default either way.
    expect(await questionsParam({ ...conn, includeQuestions: false }, { includeQuestions: true })).toBeNull();
    expect(await questionsParam(conn, { includeQuestions: true })).toBe("T");
    // The removal feed never asks.
    expect(await questionsParam({ ...conn, includeQuestions: true }, {}, "removed")).toBeNull();
  });
});
