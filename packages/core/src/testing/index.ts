export { ManualClock, flushMicrotasks } from "./manual-clock.js";
