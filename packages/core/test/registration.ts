import type { Registration } from "@project88/core";

/** What places a registration: every caller of `bareRegistration` gives these. */
export type RegistrationPlace = Pick<Registration, "provider" | "registrationId" | "raceId" | "eventId" | "modifiedAt">;

/**
 * A registration that says almost nothing: named "A B", every other personal column and
 * `registeredAt` null, `raw` empty; `fields` set what a test cares about.
 */
export function bareRegistration(fields: RegistrationPlace & Partial<Registration>): Registration {
  return {
    userId: null,
    firstName: "A",
    lastName: "B",
    gender: null,
    dob: null,
    age: null,
    bib: null,
    chip: null,
    email: null,
    phone: null,
    city: null,
    state: null,
    country: null,
    teamName: null,
    registeredAt: null,
    raw: {},
    ...fields,
  };
}
