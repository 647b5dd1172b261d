/**
 * Skew between this host's clock and a provider's. The cursor rule takes its signpost from the
 * local clock, but the provider stamps changes with its own: when this host runs ahead, a change
 * the provider stamps just after the pass began carries an earlier instant than the signpost, and
 * the next pass's `modifiedSince` would skip it. So every response's provider time is compared
 * with the local clock, and signposts move back by the measured skew (the overlap comes on top).
 */
import type { Clock } from "./clock.js";

/** A skew beyond this is reported (`clock:skew`) and shown in `status`. */
export const SKEW_REPORT_MS = 5_000;

/** One report of a connection's skew crossing or moving beyond `SKEW_REPORT_MS`. */
export interface SkewReport {
  readonly skewMs: number;
  readonly localTime: Date;
  readonly remoteTime: Date;
  readonly exceeded: boolean;
}

/** The skew of this host's clock against one connection's provider. */
export interface ProviderClock {
  /** Hand it to the adapter as `CallContext.observeServerTime`. */
  readonly observe: (serverTime: Date) => void;
  /**
   * The latest measurement: local minus provider, in ms (positive: this host runs ahead), or
   * null before the first response. It includes the response's travel time and the header's
   * truncation to whole seconds, both of which only make a correction larger, never too small.
   */
  readonly skewMs: number | null;
  /** How far back a signpost must move: the latest skew when this host runs ahead, else 0. */
  correctionMs(): number;
}

/**
 * Tracks one connection's skew. `onReport` is called when the skew first goes beyond
 * `SKEW_REPORT_MS` (either way), moves by `SKEW_REPORT_MS` or more while beyond it, and when it
 * comes back within it: a changing clock is reported, a steady one once.
 */
export function createProviderClock(clock: Pick<Clock, "now">, onReport: (report: SkewReport) => void): ProviderClock {
  let latest: number | null = null;
  let reported: number | null = null;
  return {
    observe(serverTime) {
      const at = serverTime.getTime();
      if (!Number.isFinite(at)) return;
      const localTime = clock.now();
      const skewMs = localTime.getTime() - at;
      latest = skewMs;
      const exceeded = Math.abs(skewMs) > SKEW_REPORT_MS;
      const report = exceeded ? reported === null || Math.abs(skewMs - reported) >= SKEW_REPORT_MS : reported !== null;
      if (!report) return;
      reported = exceeded ? skewMs : null;
      onReport({ skewMs, localTime, remoteTime: new Date(at), exceeded });
    },
    get skewMs() {
      return latest;
    },
    correctionMs() {
      return latest === null ? 0 : Math.max(0, latest);
    },
  };
}
