/**
 * JSON parsing that keeps big integers exact. RunSignUp sends ids as JSON numbers; an id beyond
 * 2^53 would silently become a neighbouring id in `JSON.parse` (9007199254740993 reads as
 * …992), and two registrations would then share one key. Such integers are read as digit
 * strings instead (ids are strings in core anyway); every other value parses as usual.
 */

/** A JSON string token, or an integer token of 16 or more digits (the only ones that may be unsafe). */
const TOKEN = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;
/** Quick test: no run of 16 digits, no unsafe integer. */
const LONG_DIGITS = /\d{16}/;

/** `JSON.parse`, with integers beyond `Number.MAX_SAFE_INTEGER` read as their exact digit strings. */
export function parseJsonExact(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  const quoted = text.replace(TOKEN, (token) => {
    if (token.startsWith('"')) return token;
    return Number.isSafeInteger(Number(token)) ? token : `"${token}"`;
  });
  return JSON.parse(quoted);
}
