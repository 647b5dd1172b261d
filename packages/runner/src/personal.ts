import type { RowProblem, SerializedError } from "@project88/core";

/**
 * Removes personal data from text shown on the status page, `/status` and `status`: error
 * messages may quote a bad value (`dob "1990-02-31" is not a calendar date`, PostgreSQL's
 * `invalid input syntax for type date: "..."`, a constraint's `Key (email)=(...)`), and the
 * people behind the registrations never agreed to appear on an operations page. Ids, codes and
 * instants are kept: they are what an operator needs to find the row.
 */

/** Field names whose quoted value is personal, as core, the store and RunSignUp spell them. */
const PERSONAL_FIELD =
  /\b(dob|date[_ ]?of[_ ]?birth|birth_?date|email|e-mail|phone|mobile|first_?name|last_?name|middle_?name|name|address\d?|street|city|state|zip(?:code)?|postal_?code|country|gender|age|emergency\w*|medical\w*|answer|response|team_?name|bib|chip)("?\s*(?:[:=]\s*)?)("(?:[^"\\]|\\.)*"|'[^']*'|\([^)]*\))/gi;
const EMAIL = /[^\s"'<>()@,;:]+@[^\s"'<>()@,;:]+\.[A-Za-z]{2,}/g;
/** Telephone numbers: an optional country code, then three groups with separators, or a long +number. */
const PHONE = /(?:\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}\b|\+\d{8,15}\b/g;
/** A calendar date on its own (a birth date), not the date of an instant (`2026-06-13T12:00:00Z`). */
const DATE = /\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\/\d{1,2}\/\d{2,4}|\d{1,2}\.\d{1,2}\.\d{4})\b(?![T\d:])/g;
/** PostgreSQL quotes the offending value: `invalid input syntax for type date: "..."`, `Key (x)=(...)`. */
const PG_VALUE = /(for type [\w ]+: |value too long for type [\w ()]+|out of range: )("(?:[^"\\]|\\.)*")/gi;
const PG_KEY = /(Key \([^)]*\)=)\([^)]*\)/g;

const REDACTED = "[personal data removed]";

/** `text` with every value that may identify a person replaced by a marker. */
export function scrubPersonal(text: string): string {
  return text
    .replace(PERSONAL_FIELD, (_m, field: string, sep: string) => `${field}${sep}${REDACTED}`)
    .replace(PG_VALUE, (_m, lead: string) => `${lead}${REDACTED}`)
    .replace(PG_KEY, (_m, lead: string) => `${lead}(${REDACTED})`)
    .replace(EMAIL, REDACTED)
    .replace(PHONE, REDACTED)
    .replace(DATE, REDACTED);
}

/** A serialised error with its message scrubbed; null stays null. */
export function scrubError<E extends Pick<SerializedError, "message">>(error: E | null): E | null {
  return error === null ? null : { ...error, message: scrubPersonal(error.message) };
}

/** Fields of a registration that describe a person, as a row problem names them (`dob`, `firstName`, `questions`). */
const PERSONAL_FIELD_NAME =
  /dob|birth|name|email|phone|mobile|address|street|city|state|zip|postal|country|gender|age|team|bib|chip|question|answer|emergency|medical/i;

/**
 * A row problem fit for the status page: for a personal field its reason loses the value it
 * quotes (`dob "1987-03-14x" is not a calendar date` keeps `dob`, the registration and the
 * problem); every reason is scrubbed like any message.
 */
export function scrubProblem(problem: RowProblem): RowProblem {
  let reason = problem.reason;
  if (PERSONAL_FIELD_NAME.test(problem.field)) {
    // Reasons read `<field>? <value> is not ...` or `<value> is not ...`: the value goes.
    reason = reason.replace(
      /^(?:([A-Za-z_]+) )?(.+?)( is (?:not|missing|too|longer|shorter)\b.*)$/s,
      (_m, name: string | undefined, _value: string, tail: string) =>
        `${name !== undefined && PERSONAL_FIELD_NAME.test(name) ? `${name} ` : ""}${REDACTED}${tail}`,
    );
  }
  return { ...problem, reason: scrubPersonal(reason) };
}
