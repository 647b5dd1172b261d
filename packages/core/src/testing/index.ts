export { ManualClock, flushMicrotasks } from "./manual-clock.js";
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions, type SyncStoreMethod } from "./memory-store.js";
export { compareIds as compareRegistrationIds } from "./memory-state.js";
export { isCalendarDate } from "./row-validation.js";
