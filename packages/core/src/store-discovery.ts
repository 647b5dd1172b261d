// The discovery record of `SyncStore` (store.ts): one discovery per connection and slot.

import type { RunStatus } from "./store-passes.js";
import type { SerializedError } from "./store-records.js";

export interface DiscoveryRecord {
  readonly id: string;
  readonly connectionId: string;
  /** The scheduled instant this discovery serves (e.g. today 06:00 UTC). */
  readonly slot: Date;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly status: RunStatus;
  readonly races: number;
  readonly newEvents: number;
  readonly apiCalls: number;
  readonly error: SerializedError | null;
}
