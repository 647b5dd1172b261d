import { describe, expect, it } from "vitest";
import { createSnapshot } from "../src/snapshot.js";

/** A read the test resolves by hand, counting calls. */
function manualRead() {
  const pending: { resolve: (v: number) => void; reject: (e: unknown) => void }[] = [];
  let calls = 0;
  return {
    read: () => {
      calls++;
      return new Promise<number>((resolve, reject) => pending.push({ resolve, reject }));
    },
    get calls() {
      return calls;
    },
    resolve(value: number) {
      pending.shift()?.resolve(value);
    },
    reject(error: unknown) {
      pending.shift()?.reject(error);
    },
  };
}

describe("status snapshot", () => {
  it("reads once per maxAgeMs however many callers ask, and never twice at once", async () => {
    let now = 0;
    const source = manualRead();
    const snap = createSnapshot({ read: source.read, maxAgeMs: 5000, now: () => now });
    const first = [snap.get(), snap.get(), snap.get()];
    expect(source.calls).toBe(1);
    source.resolve(1);
    expect(await Promise.all(first)).toEqual([1, 1, 1]);
    now = 4999;
    for (let i = 0; i < 100; i++) expect(await snap.get()).toBe(1);
    expect(source.calls).toBe(1);
  });

  it("serves the stale value at once while one refresh runs, then the new one", async () => {
    let now = 0;
    const source = manualRead();
    const snap = createSnapshot({ read: source.read, maxAgeMs: 5000, now: () => now });
    const first = snap.get();
    source.resolve(1);
    await first;
    now = 6000;
    expect(await snap.get()).toBe(1);
    expect(await snap.get()).toBe(1);
    expect(source.calls).toBe(2);
    source.resolve(2);
    await Promise.resolve();
    await Promise.resolve();
    expect(await snap.get()).toBe(2);
    expect(snap.readAt).toBe(6000);
  });

  it("waits for a refresh once the value is older than maxStaleMs, and retries after a failed read", async () => {
    let now = 0;
    const source = manualRead();
    const snap = createSnapshot({ read: source.read, maxAgeMs: 5000, maxStaleMs: 30_000, now: () => now });
    const first = snap.get();
    source.resolve(1);
    await first;
    now = 31_000;
    const waiting = snap.get();
    source.reject(new Error("database down"));
    await expect(waiting).rejects.toThrow("database down");
    const retry = snap.get();
    expect(source.calls).toBe(3);
    source.resolve(3);
    expect(await retry).toBe(3);
  });

  it("with maxAgeMs 0 every caller gets a new read", async () => {
    const source = manualRead();
    const snap = createSnapshot({ read: source.read, maxAgeMs: 0, now: () => 0 });
    const a = snap.get();
    source.resolve(1);
    expect(await a).toBe(1);
    const b = snap.get();
    source.resolve(2);
    expect(await b).toBe(2);
  });
});
