/** A value read at most once per `maxAgeMs`, served to every caller in between. */
export interface Snapshot<T> {
  /**
   * The current value. A fresh one is served as is. A stale one younger than `maxStaleMs` is
   * served at once while one refresh runs behind it, so a slow read never makes a request wait.
   * Without a usable value (the first read, or one too old) the caller waits for the refresh.
   */
  get(): Promise<T>;
  /** When the value being served was read (null before the first read succeeded). */
  readonly readAt: number | null;
}

/** Options of `createSnapshot`. */
export interface SnapshotOptions<T> {
  readonly read: () => Promise<T>;
  /** A value younger than this is fresh; 0 reads for every caller (one read in flight at a time). */
  readonly maxAgeMs: number;
  /** A stale value is still served, while a refresh runs, up to this age. Default 6 × `maxAgeMs`. */
  readonly maxStaleMs?: number;
  /** Milliseconds since the epoch; injectable so tests need no sleep. */
  readonly now?: () => number;
}

/**
 * Creates the snapshot the status page, `/status` and `/metrics` share: however many phones and
 * scrapers ask, the database sees at most one status read per `maxAgeMs`, and never two at once.
 * A failed read is not kept: the previous value (if still usable) stays, and the next caller retries.
 */
export function createSnapshot<T>(options: SnapshotOptions<T>): Snapshot<T> {
  const now = options.now ?? Date.now;
  const maxStaleMs = options.maxStaleMs ?? options.maxAgeMs * 6;
  let value: { at: number; data: T } | null = null;
  let inFlight: Promise<T> | null = null;

  const refresh = (): Promise<T> => {
    if (inFlight) return inFlight;
    const started = now();
    const reading = options.read().then(
      (data) => {
        // Stamped with the read's start: the data is as old as the moment it was asked for.
        value = { at: started, data };
        inFlight = null;
        return data;
      },
      (error: unknown) => {
        inFlight = null;
        throw error;
      },
    );
    inFlight = reading;
    return reading;
  };

  return {
    get() {
      const age = value === null ? Infinity : now() - value.at;
      if (value !== null && age < options.maxAgeMs) return Promise.resolve(value.data);
      if (value !== null && age < maxStaleMs) {
        // Serve what we have; a failed background refresh is retried by the next caller.
        refresh().catch(() => undefined);
        return Promise.resolve(value.data);
      }
      return refresh();
    },
    get readAt() {
      return value?.at ?? null;
    },
  };
}
