import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/index.js";
import { pgConnectionOptions } from "../src/config.js";
import { env, good } from "./support/bad-configs.js";

describe("configuration of the exposure and the database client", () => {
  it("binds the status server to loopback by default, with no token", () => {
    const config = parseConfig(good(), { env });
    expect(config.http.host).toBe("127.0.0.1");
    expect(config.http.token).toBeNull();
    expect(config.database).toEqual({});
  });

  it("reads http.token and the TLS key as secrets, and the client timeouts as durations", () => {
    const config = parseConfig(
      {
        ...good(),
        http: { host: "0.0.0.0", port: 9464, token: { env: "HTTP_TOKEN" } },
        database: {
          url: "postgres://db.example.net/sync?sslmode=verify-full",
          ssl: { rejectUnauthorized: true, ca: "-----BEGIN CERTIFICATE-----", key: { env: "PG_KEY" } },
          connectTimeout: "5s",
          keepAlive: "30s",
          statementTimeout: "2m",
          idleInTransactionTimeout: "45s",
        },
      },
      { env: { ...env, HTTP_TOKEN: "tok-6b2e", PG_KEY: "key-pem-91aa" } },
    );
    expect(config.http.token?.reveal()).toBe("tok-6b2e");
    expect(config.secrets.map((s) => s.reveal())).toEqual(expect.arrayContaining(["tok-6b2e", "key-pem-91aa"]));
    expect(JSON.stringify(config)).not.toContain("tok-6b2e");
    expect(JSON.stringify(config)).not.toContain("key-pem-91aa");
    expect(pgConnectionOptions(config.database)).toEqual({
      ssl: { rejectUnauthorized: true, ca: "-----BEGIN CERTIFICATE-----", key: "key-pem-91aa" },
      connectionTimeoutMs: 5_000,
      keepAlive: { initialDelayMs: 30_000 },
      statementTimeoutMs: 120_000,
      idleInTransactionTimeoutMs: 45_000,
    });
  });

  it("names a token variable that is not set", () => {
    expect(() => parseConfig({ ...good(), http: { token: { env: "NOPE_TOKEN" } } }, { env })).toThrow(
      /http\.token: environment variable NOPE_TOKEN is not set/,
    );
  });
});
