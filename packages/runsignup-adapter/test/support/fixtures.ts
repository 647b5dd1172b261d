import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The directory of the recorded RunSignUp responses, inside the repository (see its
 * PROVENANCE.md), so a clone of the repository alone runs its tests.
 */
export const fixturesDir = fileURLToPath(new URL("../fixtures/runsignup/", import.meta.url));

/** A fixture's text, byte for byte. */
export function fixtureText(name: string): string {
  return readFileSync(new URL(name, new URL("../fixtures/runsignup/", import.meta.url)), "utf8");
}

/** A fixture, parsed. */
export function fixture(name: string): unknown {
  return JSON.parse(fixtureText(name));
}
