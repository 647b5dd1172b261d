export * from "./types.js";
export * from "./secret.js";
export * from "./errors.js";
export * from "./clock.js";
export type * from "./adapter.js";
export type * from "./store.js";
export type * from "./events.js";
export type * from "./engine-types.js";
