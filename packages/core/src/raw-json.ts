/**
 * A provider's raw row, made storable in a jsonb column without losing what can be kept.
 * PostgreSQL's jsonb refuses `\u0000` and lone surrogates, and a document nested thousands of
 * levels deep cannot even be serialised by `JSON.stringify` (nor parsed back by PostgreSQL).
 */

/** Raw documents are cut below this many levels of nesting. */
export const MAX_RAW_DEPTH = 100;

const CUT = `[cut: nested deeper than ${MAX_RAW_DEPTH} levels]`;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is this regex's job
const NUL = /\u0000/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// The JSON each storable object raw was checked as, so a store serialises it once, not twice.
const jsonCache = new WeakMap<object, string>();

/**
 * `JSON.stringify` of a raw value `storableRaw` returned (served from its check when the value
 * is an object it checked), or null for an absent raw.
 */
export function rawJsonText(raw: unknown): string | null {
  if (raw === undefined) return null;
  if (raw !== null && typeof raw === "object") {
    const cached = jsonCache.get(raw);
    if (cached !== undefined) return cached;
  }
  return JSON.stringify(raw) ?? "null";
}

function remember(raw: unknown, json: string): void {
  if (raw !== null && typeof raw === "object") jsonCache.set(raw, json);
}

/** The raw value to store, its JSON (null for an absent raw), and what had to change, if anything. */
export interface StorableRaw {
  readonly raw: unknown;
  readonly json: string | null;
  readonly problem: string | null;
}

/** True when `value` nests deeper than `max` levels (a walk that stops at the first too-deep branch). */
function tooDeep(value: unknown, max: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (max <= 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (tooDeep(item, max - 1)) return true;
    return false;
  }
  for (const key in value) if (tooDeep((value as Record<string, unknown>)[key], max - 1)) return true;
  return false;
}

interface Findings {
  nul: boolean;
  surrogate: boolean;
  cut: boolean;
  circular: boolean;
}

function cleanString(value: string, found: Findings): string {
  let out = value;
  if (out.includes("\u0000")) {
    found.nul = true;
    out = out.replace(NUL, "\ufffd");
  }
  if (/[\ud800-\udfff]/.test(out)) {
    const fixed = out.replace(LONE_SURROGATE, "\ufffd");
    if (fixed !== out) found.surrogate = true;
    out = fixed;
  }
  return out;
}

function clean(value: unknown, depth: number, found: Findings, path: Set<object>): unknown {
  if (typeof value === "string") return cleanString(value, found);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return value;
  if (depth >= MAX_RAW_DEPTH) {
    found.cut = true;
    return CUT;
  }
  if (path.has(value)) {
    found.circular = true;
    return "[cut: circular reference]";
  }
  path.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1, found, path));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[cleanString(k, found)] = clean(v, depth + 1, found, path);
    return out;
  } finally {
    path.delete(value);
  }
}

/**
 * The raw row as stored: unchanged when it serialises cleanly (the common case costs one
 * `JSON.stringify`); otherwise NUL characters and lone surrogates become U+FFFD, nesting deeper
 * than `MAX_RAW_DEPTH` levels is replaced by a marker string, and `problem` says what was done.
 */
export function storableRaw(raw: unknown): StorableRaw {
  if (raw === undefined) return { raw, json: null, problem: null };
  let json: string | undefined;
  try {
    json = JSON.stringify(raw);
  } catch {
    json = undefined;
  }
  if (json === undefined && raw !== undefined && typeof raw !== "function" && typeof raw !== "symbol") {
    // stringify threw (too deep, circular, a BigInt): fall through to the cleaning walk.
  } else if (json === undefined) {
    return { raw: null, json: "null", problem: "raw is not a JSON value; stored as null" };
  } else if (!json.includes("\\u0000") && !/\\ud[89a-f]/i.test(json) && !tooDeep(raw, MAX_RAW_DEPTH)) {
    remember(raw, json);
    return { raw, json, problem: null };
  }
  const found: Findings = { nul: false, surrogate: false, cut: false, circular: false };
  const cleaned = clean(raw, 0, found, new Set());
  let out: string;
  try {
    out = JSON.stringify(cleaned) ?? "null";
  } catch (error) {
    return {
      raw: null,
      json: "null",
      problem: `raw is not serialisable as JSON (${error instanceof Error ? error.name : "error"}); stored as null`,
    };
  }
  remember(cleaned, out);
  const what = [
    found.nul ? "NUL characters replaced by U+FFFD" : null,
    found.surrogate ? "lone UTF-16 surrogates replaced by U+FFFD" : null,
    found.cut ? `nesting deeper than ${MAX_RAW_DEPTH} levels cut` : null,
    found.circular ? "circular references cut" : null,
  ].filter((x) => x !== null);
  return { raw: cleaned, json: out, problem: what.length === 0 ? null : `raw made storable: ${what.join("; ")}` };
}
