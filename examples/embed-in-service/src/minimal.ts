// The README's ten-line embedding: one RunSignUp connection into PostgreSQL, until SIGTERM.
import { createSyncEngine, secret } from "@project88/core";
import { createPostgresStore } from "@project88/postgres-store";
import { createRunSignupAdapter } from "@project88/runsignup-adapter";

const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL, schema: process.env.SYNC_SCHEMA });
const engine = createSyncEngine({
  adapters: [createRunSignupAdapter({ baseUrl: process.env.RSU_BASE_URL })], // default https://runsignup.com/Rest
  store,
  connections: [
    {
      id: "acme",
      provider: "runsignup",
      credentials: { apiKey: secret(process.env.RSU_KEY!), apiSecret: secret(process.env.RSU_SECRET!) },
    },
  ],
});
engine.on("sync:finish", (e) => console.log(`${e.connectionId} race ${e.raceId}: +${e.inserted} ~${e.updated} -${e.removed}`));
await engine.start();
process.once("SIGTERM", () => void engine.stop({ timeoutMs: 30_000 }).then(() => store.close()));
