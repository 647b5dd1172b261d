import type { Registration } from "@project88/core";
import { withoutPersonalFields } from "../src/privacy.js";

/** What places a registration: every caller of `bareRegistration` gives these. */
export type RegistrationPlace = Pick<Registration, "provider" | "registrationId" | "raceId" | "eventId" | "modifiedAt">;

/**
 * A registration that says almost nothing: named "A B", every other personal column and
 * `registeredAt` null, `raw` empty; `fields` set what a test cares about.
 */
export function bareRegistration(fields: RegistrationPlace & Partial<Registration>): Registration {
  return {
    ...withoutPersonalFields(),
    firstName: "A",
    lastName: "B",
    registeredAt: null,
    raw: {},
    ...fields,
  };
}
