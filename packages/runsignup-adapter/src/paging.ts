/**
 * Where the next page starts, for RunSignUp's keyset paging with a CSV `event_id`.
 *
 * No source says whether `results_per_page` caps each event's element or the whole page, and a
 * client that assumes one reading while the server does the other silently loses rows. This rule
 * (RUNSIGNUP-API.md 3.7) is correct under both readings:
 * 1. if any element came back full, continue after the smallest of the full elements' last ids
 *    (everything below it is complete for every event; rows above it may come again, harmless
 *    because rows are upserted by registration id);
 * 2. else if the page as a whole reached `results_per_page`, continue after its largest id;
 * 3. else the pass is complete.
 */

/** The `after_registration_id` to continue with, or null when the page ends the pass. */
export function nextAfter(elementIds: readonly (readonly string[])[], resultsPerPage: number): string | null {
  let smallestFullLast: number | null = null;
  let largest: number | null = null;
  let total = 0;
  for (const ids of elementIds) {
    total += ids.length;
    let elementMax: number | null = null;
    for (const id of ids) {
      const n = Number(id);
      if (elementMax === null || n > elementMax) elementMax = n;
    }
    if (elementMax === null) continue;
    if (largest === null || elementMax > largest) largest = elementMax;
    if (ids.length >= resultsPerPage && (smallestFullLast === null || elementMax < smallestFullLast)) {
      smallestFullLast = elementMax;
    }
  }
  if (smallestFullLast !== null) return String(smallestFullLast);
  if (total >= resultsPerPage && largest !== null) return String(largest);
  return null;
}
