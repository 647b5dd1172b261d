import type { Clock, TimerHandle } from "./clock.js";
import type { SyncStore } from "./store.js";
import type { EventRef } from "./types.js";

/** Event leases one holder keeps (a pass, a race waiting for its later passes, the held races). */
export interface EventLeaseHold {
  /** Keeps these events' leases renewed from the next beat on. */
  add(refs: readonly EventRef[]): void;
  /** Stops renewing these events (committed, handed to another holder, or given back). */
  remove(refs: readonly EventRef[]): void;
  /** Stops renewing everything this hold keeps. The store's leases are not released. */
  release(): void;
}

/**
 * The one place that renews this process's leases. Every holder of a lease registers it here
 * for as long as it holds it: a running pass, a race task whose later passes have not started,
 * races held for a busy connection, a running discovery. One timer renews all of them, every
 * third of a lease, with one `renewLeases` call for every event, so no lease this process holds
 * can lapse while its work is still running, however many passes a race has or however long a
 * discovery takes.
 */
export interface LeaseKeeper {
  /**
   * Holds event leases (`refs`, more later with `add`). `onLost` is told which of them the
   * process no longer holds (another process took them, or they expired); those are dropped
   * from the hold before it is called.
   */
  holdEvents(onLost: (lost: EventRef[]) => void, refs?: readonly EventRef[]): EventLeaseHold;
  /** Holds a discovery's lease until the returned function is called; `onLost` is called once if it lapses. */
  holdDiscovery(id: string, onLost: () => void): () => void;
  /** Leases kept now (events and discoveries). */
  readonly size: number;
}

/** What the keeper needs. */
export interface LeaseKeeperOptions {
  readonly store: SyncStore;
  readonly clock: Clock;
  readonly owner: string;
  readonly leaseMs: number;
}

interface EventHold {
  readonly refs: Map<string, EventRef>;
  readonly onLost: (lost: EventRef[]) => void;
}

function refKey(ref: EventRef): string {
  return `${ref.provider}\u0000${ref.eventId}`;
}

/** Creates the keeper; its timer runs only while something is held. */
export function createLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const { store, clock, owner, leaseMs } = options;
  const eventHolds = new Set<EventHold>();
  const discoveries = new Map<string, () => void>();
  let timer: TimerHandle | null = null;
  let beating = false;

  const size = () => discoveries.size + [...eventHolds].reduce((n, h) => n + h.refs.size, 0);

  function schedule(): void {
    if (size() === 0) {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      return;
    }
    if (timer === null && !beating) timer = clock.setTimeout(() => void beat(), leaseMs / 3);
  }

  async function beat(): Promise<void> {
    timer = null;
    beating = true;
    try {
      await renewEvents();
      await renewDiscoveries();
    } finally {
      beating = false;
      schedule();
    }
  }

  async function renewEvents(): Promise<void> {
    const refs = new Map<string, EventRef>();
    for (const hold of eventHolds) for (const [k, ref] of hold.refs) refs.set(k, ref);
    if (refs.size === 0) return;
    let lost: EventRef[];
    try {
      lost = await store.renewLeases({ owner, now: clock.now(), leaseMs, refs: [...refs.values()] });
    } catch {
      return; // A store hiccup: the next beat tries again, well within the lease.
    }
    if (lost.length === 0) return;
    const gone = new Set(lost.map(refKey));
    for (const hold of [...eventHolds]) {
      const mine: EventRef[] = [];
      for (const [k, ref] of hold.refs) {
        if (!gone.has(k)) continue;
        hold.refs.delete(k);
        mine.push(ref);
      }
      if (mine.length > 0) hold.onLost(mine);
    }
  }

  async function renewDiscoveries(): Promise<void> {
    for (const [id, onLost] of [...discoveries]) {
      let kept: boolean;
      try {
        kept = await store.renewDiscovery({ id, owner, now: clock.now(), leaseMs });
      } catch {
        continue;
      }
      // Released while the renewal was on its way: its discovery has finished, nothing was lost.
      if (kept || discoveries.get(id) !== onLost) continue;
      discoveries.delete(id);
      onLost();
    }
  }

  return {
    get size() {
      return size();
    },
    holdEvents(onLost, refs = []) {
      const hold: EventHold = { refs: new Map(), onLost };
      eventHolds.add(hold);
      const handle: EventLeaseHold = {
        add(more) {
          if (!eventHolds.has(hold)) return;
          for (const ref of more) hold.refs.set(refKey(ref), { provider: ref.provider, eventId: ref.eventId });
          schedule();
        },
        remove(fewer) {
          for (const ref of fewer) hold.refs.delete(refKey(ref));
          schedule();
        },
        release() {
          eventHolds.delete(hold);
          hold.refs.clear();
          schedule();
        },
      };
      handle.add(refs);
      return handle;
    },
    holdDiscovery(id, onLost) {
      discoveries.set(id, onLost);
      schedule();
      return () => {
        if (discoveries.get(id) === onLost) discoveries.delete(id);
        schedule();
      };
    },
  };
}
