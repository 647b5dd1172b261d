import { createHash } from "node:crypto";
import type { Secret } from "./secret.js";

/** Hex digits of the digest kept in a key: 64 bits, enough that two real credentials never meet. */
const DIGEST_HEX = 16;

/**
 * The default budget key of a connection: the provider and a truncated SHA-256 of its
 * credentials (every name and value, in name order), such as `runsignup:cred-3f9a0c1d2e4b5a69`.
 * One real key configured under two connection ids therefore shares one budget, as the provider
 * counts its calls, while two different keys never share. The key is shown in status, events and
 * logs, so it holds a digest only, never a credential.
 */
export function credentialBudgetKey(provider: string, credentials: Readonly<Record<string, Secret>>): string {
  const hash = createHash("sha256").update(provider).update("\u0000");
  for (const name of Object.keys(credentials).sort()) {
    const value = credentials[name];
    if (value === undefined) continue;
    hash.update(name).update("\u0000").update(value.reveal()).update("\u0000");
  }
  return `${provider}:cred-${hash.digest("hex").slice(0, DIGEST_HEX)}`;
}
