-- Bad provider data in one row never fails its page (issue 8, section 3).
-- `registrations.problems`: the fields of the stored version that failed their checks, stored as
-- null (`raw` keeps what was sent): [{"field", "reason", "firstSeenAt"}]. NULL when clean.
ALTER TABLE registrations ADD COLUMN problems jsonb;
-- Operators look for the rows that need a person's attention; few rows have problems.
CREATE INDEX registrations_problems_idx ON registrations (provider, event_id) WHERE problems IS NOT NULL;

-- `sync_runs.problems`: how many problems the run's committed pages had (nulled fields and
-- skipped rows); `problem_sample`: the first 20 of them, [{"registrationId", "eventId", "field",
-- "reason", "skipped"}].
ALTER TABLE sync_runs ADD COLUMN problems integer NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN problem_sample jsonb NOT NULL DEFAULT '[]'::jsonb;
CREATE INDEX sync_runs_problems_idx ON sync_runs (started_at DESC, id DESC) WHERE problems > 0;
