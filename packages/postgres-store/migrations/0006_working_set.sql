-- The working set at flat cost with history: per-event registration counts kept by triggers (so
-- no read counts registrations), indexes for the reads that list events not done or recently
-- ended, and the history retention that prunes old runs and status changes into a summary.

-- Registrations per event, kept in step with every write by statement-level triggers: a read of
-- a thousand events reads a thousand rows here instead of counting millions of registrations.
CREATE TABLE event_counts (
  provider   text    NOT NULL,
  event_id   text    NOT NULL,
  active     integer NOT NULL DEFAULT 0,
  total      integer NOT NULL DEFAULT 0,
  PRIMARY KEY (provider, event_id)
);

INSERT INTO event_counts (provider, event_id, active, total)
SELECT provider, event_id, count(*) FILTER (WHERE status = 'active'), count(*)
FROM registrations GROUP BY provider, event_id;

-- One function for the three triggers; each names its transition tables so the function can read
-- `new_rows` and `old_rows`. Deltas are summed per event and applied in key order, so two
-- concurrent writers of the same events lock their count rows in the same order.
CREATE FUNCTION event_counts_apply() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO event_counts AS c (provider, event_id, active, total)
    SELECT provider, event_id, count(*) FILTER (WHERE status = 'active'), count(*)
    FROM new_rows GROUP BY provider, event_id ORDER BY provider, event_id
    ON CONFLICT (provider, event_id) DO UPDATE SET active = c.active + excluded.active, total = c.total + excluded.total;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO event_counts AS c (provider, event_id, active, total)
    SELECT provider, event_id, sum(d_active), sum(d_total) FROM (
      SELECT provider, event_id, (status = 'active')::int AS d_active, 1 AS d_total FROM new_rows
      UNION ALL
      SELECT provider, event_id, -(status = 'active')::int, -1 FROM old_rows
    ) AS d
    GROUP BY provider, event_id HAVING sum(d_active) <> 0 OR sum(d_total) <> 0 ORDER BY provider, event_id
    ON CONFLICT (provider, event_id) DO UPDATE SET active = c.active + excluded.active, total = c.total + excluded.total;
  ELSE
    INSERT INTO event_counts AS c (provider, event_id, active, total)
    SELECT provider, event_id, -count(*) FILTER (WHERE status = 'active'), -count(*)
    FROM old_rows GROUP BY provider, event_id ORDER BY provider, event_id
    ON CONFLICT (provider, event_id) DO UPDATE SET active = c.active + excluded.active, total = c.total + excluded.total;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER registrations_counts_insert AFTER INSERT ON registrations
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_counts_apply();
CREATE TRIGGER registrations_counts_update AFTER UPDATE ON registrations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_counts_apply();
CREATE TRIGGER registrations_counts_delete AFTER DELETE ON registrations
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION event_counts_apply();

-- Done events that ended recently: the working set's second half, by end (or start) instant.
CREATE INDEX events_ended_idx ON events ((coalesce(ends_at, starts_at)));
-- Events not done: the working set's first half (claims use sync_state_due_idx; this one also
-- serves the summary's "done" count as an index-only scan of the finished events).
CREATE INDEX sync_state_done_idx ON sync_state (provider) WHERE next_due_at IS NULL;

-- Retention prunes status changes oldest first by when they happened.
CREATE INDEX registration_status_changes_changed_idx ON registration_status_changes (changed_at);

-- What pruning removed from each event's history: one row per event, kept forever.
CREATE TABLE event_history (
  provider        text        NOT NULL,
  event_id        text        NOT NULL,
  runs            integer     NOT NULL DEFAULT 0,
  failed_runs     integer     NOT NULL DEFAULT 0,
  api_calls       bigint      NOT NULL DEFAULT 0,
  rows_inserted   bigint      NOT NULL DEFAULT 0,
  rows_updated    bigint      NOT NULL DEFAULT 0,
  rows_removed    bigint      NOT NULL DEFAULT 0,
  first_run_at    timestamptz,
  last_run_at     timestamptz,
  status_changes  integer     NOT NULL DEFAULT 0,
  PRIMARY KEY (provider, event_id)
);
