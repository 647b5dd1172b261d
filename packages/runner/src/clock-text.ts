import { SKEW_REPORT_MS } from "@project88/core";

/** True when a measured skew is worth showing (beyond 5 s either way). */
export function notableSkew(skewMs: number | null | undefined): skewMs is number {
  return typeof skewMs === "number" && Math.abs(skewMs) > SKEW_REPORT_MS;
}

/** `this host's clock is 90 s ahead of runsignup`: a skew in words, for the status text and page. */
export function describeSkew(skewMs: number, other: string): string {
  return `this host's clock is ${Math.round(Math.abs(skewMs) / 1000)} s ${skewMs > 0 ? "ahead of" : "behind"} ${other}`;
}
