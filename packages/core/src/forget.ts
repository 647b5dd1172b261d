import type { EventEmitter } from "eventemitter3";
import { safeEmit } from "./emitter.js";
import type { ForgetSubject } from "./engine-types.js";
import { ConfigError } from "./errors.js";
import type { EngineEventArgs } from "./events.js";
import type { ResolvedOptions } from "./options.js";

/**
 * `engine.forget`: erases one person through the store and says so (ids only). The subject is
 * checked here so a typo cannot erase more than one person: exactly one non-empty id.
 */
export async function forgetSubject(
  options: ResolvedOptions,
  emitter: EventEmitter<EngineEventArgs>,
  subject: ForgetSubject,
): Promise<{ readonly registrations: number }> {
  const registrationId = subject.registrationId ?? null;
  const userId = subject.userId ?? null;
  const problems: { path: string; message: string }[] = [];
  if (typeof subject.provider !== "string" || subject.provider === "") problems.push({ path: "provider", message: "required" });
  if ((registrationId === null) === (userId === null))
    problems.push({ path: "registrationId", message: "give exactly one of registrationId and userId" });
  for (const [path, id] of [
    ["registrationId", registrationId],
    ["userId", userId],
  ] as const) {
    if (id !== null && (typeof id !== "string" || id.trim() === "")) problems.push({ path, message: "must be a non-empty id" });
  }
  if (problems.length > 0) throw new ConfigError(`[core] forget: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`, problems);
  const result = await options.store.forget({
    now: options.clock.now(),
    provider: subject.provider,
    registrationId: registrationId ?? undefined,
    userId: userId ?? undefined,
  });
  safeEmit(emitter, "privacy:forgotten", { provider: subject.provider, registrationId, userId, registrations: result.registrations });
  return result;
}
