import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// The fixtures live beside the repository (../shared), never copied into it. The repository
// root is four directories above this one (packages/runsignup-adapter/test/support).
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** The directory of the recorded RunSignUp responses. */
export const fixturesDir = join(repoRoot, "..", "shared", "fixtures", "runsignup");

/** A fixture's text, byte for byte. */
export function fixtureText(name: string): string {
  return readFileSync(join(fixturesDir, name), "utf8");
}

/** A fixture, parsed. */
export function fixture(name: string): unknown {
  return JSON.parse(fixtureText(name));
}
