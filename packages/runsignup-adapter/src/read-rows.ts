/**
 * Reads the rows of a participants or removed-participants element one by one, so one bad row
 * never fails its page. A field that does not match its schema is dropped from the row before
 * mapping (the registration gets null there and a problem naming it; `raw` keeps the row as
 * sent); a row whose `registration_id` cannot be read is skipped and reported, and still counts
 * towards the element's size, so paging knows the page was full.
 */
import { cleanProviderText, type FieldProblem, type SkippedRow } from "@project88/core";
import type { z } from "zod";
import { formatPath } from "./schemas.js";

/** The rows one element gave, the rows it could not read, and how many rows it sent in all. */
export interface ElementRows<Row> {
  readonly rows: Row[];
  readonly skipped: SkippedRow[];
  readonly size: number;
}

/** RunSignUp's field paths to core's field names, for problems an operator can match to columns. */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  registration_id: "registrationId",
  event_id: "eventId",
  "user.user_id": "userId",
  "user.first_name": "firstName",
  "user.last_name": "lastName",
  "user.email": "email",
  "user.dob": "dob",
  "user.gender": "gender",
  "user.phone": "phone",
  "user.address.city": "city",
  "user.address.state": "state",
  "user.address.country_code": "country",
  bib_num: "bib",
  chip_num: "chip",
  age: "age",
  registration_date: "registeredAt",
  last_modified: "modifiedAt",
  last_modified_ts: "modifiedAt",
  team_name: "teamName",
  new_registration_id: "newRegistrationId",
};

/** Core's name for a provider field path (the path itself when it has none). */
export function fieldName(path: readonly PropertyKey[]): string {
  const key = path.map(String).join(".");
  return FIELD_NAMES[key] ?? key;
}

/** A short, clean rendering of a value for a problem's reason. */
export function previewValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = typeof value;
  }
  return cleanProviderText(text, 60);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** A copy of `root` without the value at `path` (objects along the path are copied, the rest shared). */
function without(root: Record<string, unknown>, path: readonly PropertyKey[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...root };
  let cur: Record<PropertyKey, unknown> = copy;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]!];
    if (next === null || typeof next !== "object") return copy;
    const child = Array.isArray(next) ? [...(next as unknown[])] : { ...(next as Record<string, unknown>) };
    cur[path[i]!] = child;
    cur = child as Record<PropertyKey, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) delete cur[last];
  return copy;
}

/** A row as its schema reads it, with the fields that had to be dropped; or why it cannot be read. */
export type ParsedRow<T> = { readonly data: T; readonly problems: FieldProblem[] } | { readonly skip: string };

/**
 * Parses one row with `schema`. Each field whose value fails is dropped and the row parsed again
 * (a few rounds at most); a failing `registration_id`, a failing required field, or a row that is
 * not an object gives `skip` with the reason.
 */
export function parseRow<S extends z.ZodType>(schema: S, value: unknown): ParsedRow<z.output<S>> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { skip: `row is ${previewValue(value)}, not an object` };
  let view = value as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const dropped = new Set<string>();
  for (let round = 0; round < 8; round++) {
    const result = schema.safeParse(view);
    if (result.success) return { data: result.data, problems };
    for (const issue of result.error.issues) {
      const key = issue.path.map(String).join(".");
      const shown = `${formatPath(issue.path)} ${previewValue(valueAt(value, issue.path))}: ${issue.message}`;
      if (issue.path.length === 0) return { skip: cleanProviderText(shown) };
      if (key === "registration_id" || dropped.has(key)) return { skip: cleanProviderText(shown) };
      dropped.add(key);
      const field = fieldName(issue.path);
      if (!problems.some((p) => p.field === field)) problems.push({ field, reason: cleanProviderText(shown) });
      view = without(view, issue.path);
    }
  }
  return { skip: "row has too many unreadable fields" };
}

/** The id of a row as far as it can be read (for a skipped row's report). */
export function readableId(value: unknown): string | null {
  const id = valueAt(value, ["registration_id"]);
  return typeof id === "number" || (typeof id === "string" && id.length > 0) ? cleanProviderText(String(id), 100) : null;
}

/** Compares two registration ids as whole numbers, exactly (ids may exceed 2^53). */
export function compareIds(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
