import type { EventEmitter } from "eventemitter3";
import type { EngineEventArgs, EngineEventName, EngineEvents } from "./events.js";

/** eventemitter3's stored listener (stable in 5.x, which core pins). */
interface StoredListener {
  readonly fn: (payload: unknown) => void;
  readonly context: unknown;
  readonly once: boolean;
}

/**
 * Emits through a guard: eventemitter3 calls listeners synchronously, so a listener that throws
 * would otherwise unwind into the engine's pass and skip the listeners after it. Each listener
 * runs on its own; an error is reported on `listener:error`, and one thrown by a
 * `listener:error` listener is swallowed so the report cannot loop.
 */
export function safeEmit<K extends EngineEventName>(emitter: EventEmitter<EngineEventArgs>, name: K, payload: EngineEvents[K]): void {
  const stored = (emitter as unknown as { _events?: Record<string, StoredListener | StoredListener[] | undefined> })._events;
  if (stored === undefined) {
    guardedCall(emitter, name, () => emitter.emit(name, ...([payload] as never)));
    return;
  }
  const entry = stored[name];
  if (entry === undefined) return;
  const listeners = Array.isArray(entry) ? [...entry] : [entry];
  for (const listener of listeners) {
    if (listener.once) emitter.removeListener(name, listener.fn as never, undefined, true);
    guardedCall(emitter, name, () => listener.fn.call(listener.context, payload));
  }
}

function guardedCall(emitter: EventEmitter<EngineEventArgs>, name: EngineEventName, call: () => void): void {
  try {
    call();
  } catch (error) {
    if (name !== "listener:error") safeEmit(emitter, "listener:error", { event: name, error });
  }
}
