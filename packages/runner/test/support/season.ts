import type { FakeRunSignup } from "@project88/runsignup-adapter/testing";

/** Zones spread over three continents, so every conversion path is exercised. */
export const TEST_ZONES = [
  "America/New_York",
  "America/Denver",
  "Europe/London",
  "Australia/Sydney",
  "Pacific/Honolulu",
  "America/Phoenix",
];

/** Configuration connections for the season's partners; secrets come from env vars. */
export function seasonConnections(
  fake: FakeRunSignup,
  extra: Record<string, unknown> = {},
): { connections: unknown[]; env: Record<string, string> } {
  const env: Record<string, string> = {};
  const connections = (fake.season?.partners ?? []).map((partner, i) => {
    env[`P${i}_KEY`] = partner.key.apiKey;
    env[`P${i}_SECRET`] = partner.key.apiSecret;
    return {
      id: `partner-${i}`,
      provider: "runsignup",
      apiKey: { env: `P${i}_KEY` },
      apiSecret: { env: `P${i}_SECRET` },
      baseUrl: fake.url,
      ...extra,
    };
  });
  return { connections, env };
}
