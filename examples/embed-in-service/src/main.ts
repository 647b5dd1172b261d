/**
 * `pnpm --filter @project88/example-embed-in-service start`: runs the service until SIGTERM or
 * Ctrl-C. With RSU_KEY and RSU_SECRET it talks to RunSignUp; without them it starts the fake
 * RunSignUp from the adapter's testing export, so the example runs anywhere.
 */
import { secret, type ConnectionInput } from "@project88/core";
import { createSyncService } from "./service.js";

async function connections(): Promise<{ list: ConnectionInput[]; close: () => Promise<void> }> {
  if (process.env.RSU_KEY && process.env.RSU_SECRET) {
    return {
      list: [
        {
          id: "acme",
          provider: "runsignup",
          credentials: { apiKey: secret(process.env.RSU_KEY), apiSecret: secret(process.env.RSU_SECRET) },
        },
      ],
      close: async () => undefined,
    };
  }
  const { startFakeRunSignup } = await import("@project88/runsignup-adapter/testing");
  const fake = await startFakeRunSignup({ season: { partners: 1, racesPerPartner: 4, registrationsPerEvent: 200 } });
  console.log(`no RSU_KEY/RSU_SECRET: using a fake RunSignUp at ${fake.url}`);
  return { list: [fake.connection(0)], close: () => fake.close() };
}

const source = await connections();
const service = await createSyncService({
  databaseUrl: process.env.DATABASE_URL,
  connections: source.list,
  sink: {
    info: (message, fields) => console.log(JSON.stringify({ level: "info", message, ...fields })),
    alert: (message, fields) => console.error(JSON.stringify({ level: "alert", message, ...fields })),
  },
});
await service.start();
console.log("syncing; send SIGTERM or press Ctrl-C to stop");

let stopping = false;
const stop = async () => {
  if (stopping) process.exit(1); // a second signal: now
  stopping = true;
  await service.stop();
  await source.close();
  console.log(`stopped: ${service.counters.passes} passes, ${service.counters.rowsInserted} rows inserted`);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
