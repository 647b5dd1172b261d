const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");
const REDACTED = "[redacted]";

/**
 * A credential value that cannot leak by accident: `String()`, template literals,
 * `JSON.stringify`, `util.inspect` and loggers all see `[redacted]`. Only `reveal()` returns the
 * value, and only the code that puts it on the wire should call it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The real value. Call it only where the credential is sent to the provider. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspectSymbol](): string {
    return REDACTED;
  }
}

/** Wraps a string in a `Secret`; passes a `Secret` through unchanged. */
export function secret(value: string | Secret): Secret {
  return value instanceof Secret ? value : new Secret(value);
}

/**
 * Replaces every occurrence of the given secret values in `text` with `[redacted]`. Use it on
 * anything built from a request (a URL, a body excerpt) before it goes into an error or a log.
 */
export function redact(text: string, secrets: Iterable<Secret | string>): string {
  let out = text;
  for (const s of secrets) {
    const value = typeof s === "string" ? s : s.reveal();
    if (value.length === 0) continue;
    out = out.split(value).join(REDACTED);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) out = out.split(encoded).join(REDACTED);
  }
  return out;
}
