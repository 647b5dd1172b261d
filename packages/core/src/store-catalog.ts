// Catalog types of `SyncStore` (store.ts): what discovery saves and what a refused race marks.

import type { SerializedError } from "./store-records.js";
import type { EventRef, Race } from "./types.js";

export interface MarkForbiddenArgs {
  readonly connectionId: string;
  readonly provider: string;
  /** Every event of this race linked to the connection is marked. */
  readonly raceId: string;
  readonly now: Date;
  readonly error: SerializedError;
}

/** What a discovery changed. */
export interface DiscoveryDiff {
  readonly newRaces: readonly string[];
  readonly newEvents: readonly EventRef[];
  /** Known events whose start or end instant moved. */
  readonly changedEvents: readonly {
    readonly ref: EventRef;
    readonly previousStartsAt: Date;
    readonly startsAt: Date;
  }[];
}

export interface SaveDiscoveryArgs {
  readonly connectionId: string;
  readonly provider: string;
  readonly races: readonly Race[];
  readonly now: Date;
  /** Priority given to the sync state created for a new event (it is due at once, for backfill). */
  readonly newEventPriority: number;
}
