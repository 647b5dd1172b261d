import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliProcess, writeConfig } from "./support/cli-process.js";
import { BAD, env, good } from "./support/bad-configs.js";

/**
 * Cases of the table in config.test.ts (which runs every case in-process) through the real
 * executable: exit code 2 and the path on stderr, from `cli.ts` to the process's exit status.
 */
const CASES = BAD.filter(([name]) =>
  ["missing api secret", "env var not set", "typo in a key", "plain http to a remote host", "bad tier", "not an object"].includes(name),
);
describe("bad configurations through the CLI process", () => {
  let dir: Awaited<ReturnType<typeof writeConfig>>;
  beforeAll(async () => {
    dir = await writeConfig(good());
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it("every case exits 2 naming its path, and starts nothing", async () => {
    const results: { name: string; code: number | null; stderr: string; stdout: string; path: string; word: string }[] = [];
    // Three at a time: each child is a Node process of its own.
    expect(CASES).toHaveLength(6);
    for (let i = 0; i < CASES.length; i += 3) {
      const batch = CASES.slice(i, i + 3).map(async ([name, mutate, path, word], j) => {
        const file = join(dir.dir, `bad-${i + j}.json`);
        await writeFile(file, JSON.stringify(mutate(good() as never)));
        const r = await runCliProcess(["start", "--config", file, "--port", "0"], env, dir.dir);
        return { name, code: r.code, stderr: r.stderr, stdout: r.stdout, path, word };
      });
      results.push(...(await Promise.all(batch)));
    }
    for (const r of results) {
      expect(r.code, r.name).toBe(2);
      expect(r.stderr, r.name).toContain(`${r.path}: `);
      expect(r.stderr.split(`${r.path}: `)[1]?.split("\n")[0], r.name).toContain(r.word);
      expect(r.stdout, r.name).toBe("");
    }
  }, 120_000);
});
