import { describe, expect, it } from "vitest";
import { applyRawPolicy, keepRaw } from "../src/privacy.js";

describe("raw policy", () => {
  const raw = { registration_id: 1, user: { first_name: "Ada", dob: "1990-01-01" }, bib_num: "7" };

  it("keeps everything, nothing, or the listed top-level fields", () => {
    expect(keepRaw(raw, "full")).toBe(raw);
    expect(keepRaw(raw, "none")).toBeNull();
    expect(keepRaw(raw, { keep: ["registration_id", "bib_num", "absent"] })).toEqual({ registration_id: 1, bib_num: "7" });
  });

  it("keeps nothing of a raw that is not an object under an allow-list, and never an inherited field", () => {
    expect(keepRaw(["a"], { keep: ["0"] })).toBeNull();
    expect(keepRaw("text", { keep: ["length"] })).toBeNull();
    expect(keepRaw(null, { keep: ["x"] })).toBeNull();
    expect(keepRaw({}, { keep: ["toString", "__proto__"] })).toEqual({});
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object;
    const kept = keepRaw(hostile, { keep: ["__proto__", "a"] }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(kept)).toBe(Object.prototype);
    expect(Object.hasOwn(kept, "__proto__")).toBe(true);
  });

  it("copies rows rather than changing the adapter's", () => {
    const rows = [{ id: "1", raw }];
    const out = applyRawPolicy(rows, "none");
    expect(out).toEqual([{ id: "1", raw: null }]);
    expect(rows[0]?.raw).toBe(raw);
    expect(applyRawPolicy(rows, "full")).toBe(rows);
  });
});
