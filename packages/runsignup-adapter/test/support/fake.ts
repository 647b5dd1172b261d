import { FakeDataset, startFakeRunSignup, type FakeRunSignup, type FakeServerOptions } from "../../src/testing/index.js";

/** A settable clock for the fake: whole-second semantics are driven through it. */
export class FakeClock {
  ms: number;
  constructor(start = "2026-06-01T12:00:00.000Z") {
    this.ms = Date.parse(start);
  }
  readonly now = (): Date => new Date(this.ms);
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A fake with an empty dataset on a settable clock (tests add what they need). */
export async function startEmptyFake(options: Omit<FakeServerOptions, "dataset" | "now"> = {}, clock = new FakeClock()) {
  const dataset = new FakeDataset({ seed: 11, now: clock.now });
  const fake: FakeRunSignup = await startFakeRunSignup({ ...options, dataset, now: clock.now });
  return { fake, dataset, clock };
}
