import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createTestSchema, type TestSchema } from "@project88/postgres-store/testing";
import { startFakeRunSignup, type FakeRunSignup } from "@project88/runsignup-adapter/testing";
import { build } from "tsup";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/cli-process.js";

const run = promisify(execFile);

/** The packages a service embeds; the runner (which wants msw and PGlite) is not among them. */
const PACKAGES = ["core", "runsignup-adapter", "postgres-store"] as const;

/** What the service runs: the engine on real PostgreSQL, with neither msw nor PGlite installed. */
const EMBED = `
import { ConfigError, createSyncEngine, secret } from "@project88/core";
import { createPostgresStore } from "@project88/postgres-store";
import { createRunSignupAdapter } from "@project88/runsignup-adapter";

const out = {};
for (const name of ["msw", "@electric-sql/pglite"]) {
  out[name] = await import(name).then(() => "present", (e) => e.code);
}
out.testing = await import("@project88/runsignup-adapter/testing").then(() => "loaded", (e) => e.code);
out.embedded = await createPostgresStore({ pglite: {} }).then(() => "opened", (e) => ({ config: e instanceof ConfigError, message: e.message }));

const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL, schema: process.env.SCHEMA });
const engine = createSyncEngine({
  adapters: [createRunSignupAdapter()],
  store,
  connections: [{ id: "p0", provider: "runsignup", baseUrl: process.env.FAKE_URL, credentials: { apiKey: secret(process.env.RSU_KEY), apiSecret: secret(process.env.RSU_SECRET) } }],
});
const once = await engine.runOnce();
out.failed = once.failed;
out.inserted = once.passes.reduce((sum, p) => sum + p.inserted, 0);
await store.close();
// Counted from outside the engine, with the pg the store brought along.
const { default: pg } = await import("pg");
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
out.stored = (await client.query(\`SELECT count(*)::int AS n FROM "\${process.env.SCHEMA}".registrations\`)).rows[0].n;
await client.end();
console.log(JSON.stringify(out));
`;

/**
 * Builds each package (JavaScript only: declarations do not change what installs), stages it with
 * its published files, and packs it with \`pnpm pack\`; \`workspace:^\` becomes the version range
 * pnpm would publish.
 */
async function packPackages(stage: string, tarballs: string): Promise<string[]> {
  const versions = new Map<string, string>();
  for (const dir of PACKAGES) {
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, "packages", dir, "package.json"), "utf8")) as {
      name: string;
      version: string;
    };
    versions.set(manifest.name, manifest.version);
  }
  for (const dir of PACKAGES) {
    const source = join(REPO_ROOT, "packages", dir);
    const target = join(stage, dir);
    const text = await readFile(join(source, "package.json"), "utf8");
    const manifest = JSON.parse(
      text.replace(/"(@project88\/[a-z-]+)": "workspace:\^"/g, (_m, name: string) => `"${name}": "^${versions.get(name)}"`),
    ) as Record<string, Record<string, string>>;
    await build({
      config: false,
      entry: { index: join(source, "src/index.ts"), "testing/index": join(source, "src/testing/index.ts") },
      outDir: join(target, "dist"),
      format: ["esm"],
      target: "node20",
      platform: "node",
      splitting: true,
      dts: false,
      silent: true,
      tsconfig: join(source, "tsconfig.build.json"),
      // As tsup does from the package's own manifest: dependencies and peers stay imports.
      external: [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})],
    });
    await writeFile(join(target, "package.json"), JSON.stringify(manifest, null, 2));
    if (dir === "postgres-store") await cp(join(source, "migrations"), join(target, "migrations"), { recursive: true });
    await run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: target });
  }
  return (await readdir(tarballs)).filter((f) => f.endsWith(".tgz")).map((f) => join(tarballs, f));
}

describe("installing the packages a service embeds", () => {
  let root: string;
  let fake: FakeRunSignup;
  let db: TestSchema;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "p88-lean-"));
    fake = await startFakeRunSignup({ season: { seed: 9, partners: 1, racesPerPartner: 1, eventsPerRace: 1, registrationsPerEvent: 25 } });
    db = await createTestSchema({ prefix: "lean_install" });
  });
  afterAll(async () => {
    await fake?.close();
    await db?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it("pulls neither msw nor PGlite, and the engine syncs into PostgreSQL", async () => {
    const tarballs = join(root, "tarballs");
    const app = join(root, "app");
    await mkdir(tarballs, { recursive: true });
    await mkdir(app, { recursive: true });
    const files = await packPackages(join(root, "stage"), tarballs);
    expect(files).toHaveLength(3);

    await writeFile(join(app, "package.json"), JSON.stringify({ name: "lean-service", version: "1.0.0", private: true, type: "module" }));
    await run("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", ...files], {
      cwd: app,
      timeout: 120_000,
    });
    const installed = await readdir(join(app, "node_modules"));
    for (const unwanted of ["msw", "graphql", "@inquirer", "yargs", "tough-cookie"]) expect(installed).not.toContain(unwanted);
    expect(await readdir(join(app, "node_modules/@electric-sql")).catch(() => [])).not.toContain("pglite");

    await writeFile(join(app, "embed.mjs"), EMBED);
    const partner = fake.season?.partners[0];
    const { stdout } = await run("node", ["embed.mjs"], {
      cwd: app,
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.connectionString,
        SCHEMA: db.schema,
        FAKE_URL: fake.url,
        RSU_KEY: partner?.key.apiKey,
        RSU_SECRET: partner?.key.apiSecret,
      },
    });
    const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(out.msw).toBe("ERR_MODULE_NOT_FOUND");
    expect(out["@electric-sql/pglite"]).toBe("ERR_MODULE_NOT_FOUND");
    // The fake is the one part that needs msw; the adapter's main entry does not load it.
    expect(out.testing).toBe("ERR_MODULE_NOT_FOUND");
    expect(out.embedded).toEqual({ config: true, message: expect.stringContaining("needs the optional package @electric-sql/pglite") });
    expect(out).toMatchObject({ failed: 0, inserted: 25 });
    expect(out.stored).toBe(25);
  }, 240_000);
});
