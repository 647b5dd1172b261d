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
 *
 * An element is full by the rows it *sent*, readable or not: a row whose id could not be read
 * is skipped, but if it were not counted a full page would look short and end the pass, losing
 * every row after it. Ids compare as exact whole numbers (they may exceed 2^53).
 */
import { ProviderError } from "@project88/core";
import { compareIds } from "./read-rows.js";

function maxId(ids: readonly string[]): string | null {
  let best: string | null = null;
  for (const id of ids) if (best === null || compareIds(id, best) > 0) best = id;
  return best;
}

/**
 * The `after_registration_id` to continue with, or null when the page ends the pass. `sizes`
 * gives each element's row count including rows whose id could not be read (default: the
 * readable ids). Throws a `ProviderError` when a full element has no readable id at all: there
 * is no position to continue from, and ending the pass there would lose rows.
 */
export function nextAfter(elementIds: readonly (readonly string[])[], resultsPerPage: number, sizes?: readonly number[]): string | null {
  let smallestFullLast: string | null = null;
  let largest: string | null = null;
  let total = 0;
  elementIds.forEach((ids, i) => {
    const size = Math.max(sizes?.[i] ?? ids.length, ids.length);
    total += size;
    const elementMax = maxId(ids);
    if (elementMax === null) {
      if (size >= resultsPerPage) {
        throw new ProviderError(`[runsignup] a full page of ${size} rows has no readable registration_id; cannot page past it`, {
          retryable: false,
        });
      }
      return;
    }
    if (largest === null || compareIds(elementMax, largest) > 0) largest = elementMax;
    if (size >= resultsPerPage && (smallestFullLast === null || compareIds(elementMax, smallestFullLast) < 0))
      smallestFullLast = elementMax;
  });
  if (smallestFullLast !== null) return smallestFullLast;
  if (total >= resultsPerPage && largest !== null) return largest;
  return null;
}
