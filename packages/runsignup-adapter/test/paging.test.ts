import { describe, expect, it } from "vitest";
import { nextAfter } from "../src/paging.js";

describe("CSV keyset paging rule", () => {
  it("continues after the smallest last id of the full elements", () => {
    expect(nextAfter([["1", "5", "9"], ["2", "3", "4"], ["6"]], 3)).toBe("4");
  });
  it("continues after the largest id when only the page total reached the cap", () => {
    expect(nextAfter([["1", "5"], ["2"]], 3)).toBe("5");
  });
  it("ends the pass on a short or empty page", () => {
    expect(nextAfter([["1"], ["2"]], 3)).toBeNull();
    expect(nextAfter([[], []], 3)).toBeNull();
    expect(nextAfter([], 3)).toBeNull();
  });
  it("compares ids as numbers, not strings", () => {
    expect(nextAfter([["9", "10"]], 2)).toBe("10");
    expect(
      nextAfter(
        [
          ["98", "99"],
          ["100", "101"],
        ],
        2,
      ),
    ).toBe("99");
  });
});
