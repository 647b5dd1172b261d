import type { EventEmitter } from "eventemitter3";
import type { EngineEventArgs, EngineEventName, EngineEvents } from "./events.js";

/**
 * Emits through a guard: eventemitter3 calls listeners synchronously, so a listener that throws
 * would otherwise unwind into the engine's pass and skip the listeners after it. Each listener
 * runs on its own; an error is reported on `listener:error`, and one thrown by a
 * `listener:error` listener is swallowed so the report cannot loop.
 *
 * Uses eventemitter3's public API only: `listeners()` lists the functions in order, and
 * `removeListener(name, fn, undefined, true)` drops a listener only if it was added with `once`,
 * so a `once` listener runs once. Listeners are called without eventemitter3's `context`
 * argument: bind the function instead.
 */
export function safeEmit<K extends EngineEventName>(emitter: EventEmitter<EngineEventArgs>, name: K, payload: EngineEvents[K]): void {
  const listeners = emitter.listeners(name) as ((payload: EngineEvents[K]) => void)[];
  for (const listener of listeners) {
    emitter.removeListener(name, listener as never, undefined, true);
    try {
      listener(payload);
    } catch (error) {
      if (name !== "listener:error") safeEmit(emitter, "listener:error", { event: name, error });
    }
  }
}
