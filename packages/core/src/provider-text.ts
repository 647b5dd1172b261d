/**
 * Provider text on its way into an error message, a problem's reason, a log line, an event or a
 * database row. A provider may send anything: a NUL (PostgreSQL text and jsonb refuse it, which
 * once made recording a failed run fail silently), escape sequences a terminal obeys, half a
 * UTF-16 pair, or megabytes of HTML.
 */

/** The most characters of provider text any message or reason carries. */
export const MAX_PROVIDER_TEXT = 500;

// C0 and C1 control characters (tab and line breaks included: a log line stays one line).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Cleans provider text: every control character becomes a space, every lone surrogate U+FFFD,
 * and text longer than `max` characters is cut (never inside a surrogate pair) and ends in "…".
 * Idempotent, so a message cleaned at the adapter survives `serializeError` unchanged.
 */
export function cleanProviderText(text: string, max: number = MAX_PROVIDER_TEXT): string {
  let out = text.replace(CONTROL, " ").replace(LONE_SURROGATE, "\ufffd");
  if (out.length > max) {
    let end = Math.max(0, max - 1);
    // Do not leave the high half of a pair at the cut.
    const code = out.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end -= 1;
    out = `${out.slice(0, end)}…`;
  }
  return out;
}
