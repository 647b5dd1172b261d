/**
 * The cursor rule (DESIGN 4.2). The signpost is the engine clock's instant taken *before* the
 * first request of a pass; the provider's modified-since filter is inclusive and whole-second,
 * so the request asks from the previous signpost minus an overlap, and upserts by registration id
 * absorb the rows seen twice. The new cursor is the signpost, written only with the pass's last
 * page, so a failed pass never moves it.
 */

/**
 * `modifiedSince` for a coalesced pass over several events: the oldest cursor minus the overlap,
 * so no event of the group misses a change. Undefined (a full pull) when any cursor is unknown.
 */
export function modifiedSinceFor(cursors: readonly (Date | null)[], overlapMs: number): Date | undefined {
  if (cursors.length === 0) return undefined;
  let oldest = Number.POSITIVE_INFINITY;
  for (const cursor of cursors) {
    if (cursor === null) return undefined;
    oldest = Math.min(oldest, cursor.getTime());
  }
  return new Date(oldest - overlapMs);
}

/**
 * The cursor a resumed backfill may commit. Pages committed before a crash were fetched before
 * the earlier attempt's signpost was stored; a row changed since then on one of those pages is
 * only caught if the cursor goes back to the first attempt. Takes the older of the two.
 */
export function backfillCursor(signpost: Date, firstAttempt: Date | null): Date {
  if (firstAttempt === null) return signpost;
  return firstAttempt.getTime() < signpost.getTime() ? firstAttempt : signpost;
}
