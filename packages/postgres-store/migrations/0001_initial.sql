-- project88-sync store, version 1. Runs with search_path set to the store's schema.
-- Natural keys are primary keys; nothing a sync writes is ever deleted from races, events or
-- registrations (removals and reconciliation change `status`).

CREATE TABLE races (
  provider       text        NOT NULL,
  race_id        text        NOT NULL,
  name           text        NOT NULL,
  timezone       text        NOT NULL,
  next_date      date,
  raw            jsonb,
  first_seen_at  timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (provider, race_id)
);

CREATE TABLE events (
  provider       text        NOT NULL,
  event_id       text        NOT NULL,
  race_id        text        NOT NULL,
  name           text        NOT NULL,
  starts_at      timestamptz NOT NULL,
  ends_at        timestamptz,
  raw            jsonb,
  first_seen_at  timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (provider, event_id),
  FOREIGN KEY (provider, race_id) REFERENCES races (provider, race_id)
);
CREATE INDEX events_race_idx ON events (provider, race_id);

-- Which connection's credentials see which event (a race can be visible to several partners).
CREATE TABLE connection_events (
  connection_id  text        NOT NULL,
  provider       text        NOT NULL,
  event_id       text        NOT NULL,
  first_seen_at  timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL,
  PRIMARY KEY (connection_id, provider, event_id),
  FOREIGN KEY (provider, event_id) REFERENCES events (provider, event_id)
);
CREATE INDEX connection_events_event_idx ON connection_events (provider, event_id);

CREATE TABLE registrations (
  provider             text        NOT NULL,
  registration_id      text        NOT NULL,
  race_id              text        NOT NULL,
  event_id             text        NOT NULL,
  user_id              text,
  first_name           text,
  last_name            text,
  gender               text,
  dob                  date,
  age                  integer,
  bib                  text,
  chip                 text,
  email                text,
  phone                text,
  city                 text,
  state                text,
  country              text,
  team_name            text,
  registered_at        timestamptz,
  modified_at          timestamptz,
  status               text        NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'removed', 'transferred', 'deferred', 'cleared', 'vanished')),
  removed_reason       text
    CHECK (removed_reason IS NULL OR removed_reason IN ('removed', 'transferred', 'deferred', 'cleared')),
  new_registration_id  text,
  raw                  jsonb,
  first_seen_at        timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  -- When `status` last changed, so readers can see when a registration left (or came back).
  status_changed_at    timestamptz NOT NULL,
  PRIMARY KEY (provider, registration_id)
);
-- Reconciliation and the active counts read registrations by event and status.
CREATE INDEX registrations_event_status_idx ON registrations (provider, event_id, status);
CREATE INDEX registrations_race_idx ON registrations (provider, race_id);
-- Readers polling for changes ("what changed since my last look").
CREATE INDEX registrations_updated_idx ON registrations (updated_at);

CREATE TABLE sync_state (
  provider            text        NOT NULL,
  event_id            text        NOT NULL,
  race_id             text        NOT NULL,
  tier                text,
  priority            integer     NOT NULL DEFAULT 0,
  next_due_at         timestamptz,
  cursor_at           timestamptz,
  removals_cursor_at  timestamptz,
  removals_due_at     timestamptz,
  backfill_after      text,
  backfilled_at       timestamptz,
  reconcile_due_at    timestamptz,
  last_reconciled_at  timestamptz,
  last_success_at     timestamptz,
  last_error          jsonb,
  failures            integer     NOT NULL DEFAULT 0,
  lease_owner         text,
  lease_expires_at    timestamptz,
  updated_at          timestamptz NOT NULL,
  PRIMARY KEY (provider, event_id),
  FOREIGN KEY (provider, event_id) REFERENCES events (provider, event_id)
);
-- claimDue scans due events in claim order; events that are done (next_due_at null) stay out.
CREATE INDEX sync_state_due_idx ON sync_state (next_due_at, priority) WHERE next_due_at IS NOT NULL;
CREATE INDEX sync_state_race_idx ON sync_state (provider, race_id);

CREATE TABLE sync_runs (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connection_id   text        NOT NULL,
  provider        text        NOT NULL,
  race_id         text        NOT NULL,
  event_ids       text[]      NOT NULL,
  kind            text        NOT NULL CHECK (kind IN ('backfill', 'incremental', 'reconcile')),
  owner           text        NOT NULL,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz,
  status          text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  api_calls       integer     NOT NULL DEFAULT 0,
  rows_inserted   integer     NOT NULL DEFAULT 0,
  rows_updated    integer     NOT NULL DEFAULT 0,
  rows_unchanged  integer     NOT NULL DEFAULT 0,
  rows_removed    integer     NOT NULL DEFAULT 0,
  error           jsonb
);
CREATE INDEX sync_runs_started_idx ON sync_runs (started_at DESC, id DESC);
CREATE INDEX sync_runs_status_idx ON sync_runs (status, started_at DESC);
CREATE INDEX sync_runs_event_ids_idx ON sync_runs USING gin (event_ids);

-- One token bucket per connection key. `tokens` null means a full bucket (the key was paused
-- before its first call, so its limits were not known yet).
CREATE TABLE budgets (
  connection_key  text        PRIMARY KEY,
  tokens          double precision,
  refilled_at     timestamptz NOT NULL,
  calls_per_hour  double precision,
  burst           double precision,
  max_in_flight   integer,
  paused_until    timestamptz,
  pause_reason    text,
  updated_at      timestamptz NOT NULL
);

-- Every grant, for `callsLastHour` and for auditing the limit; old rows are pruned.
CREATE TABLE budget_grants (
  connection_key  text        NOT NULL,
  granted_at      timestamptz NOT NULL,
  owner           text        NOT NULL
);
CREATE INDEX budget_grants_key_idx ON budget_grants (connection_key, granted_at);

-- Unreleased in-flight slots; a slot past `expires_at` no longer counts (its process died).
CREATE TABLE budget_slots (
  slot_id         text        PRIMARY KEY,
  connection_key  text        NOT NULL,
  owner           text        NOT NULL,
  taken_at        timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL
);
CREATE INDEX budget_slots_key_idx ON budget_slots (connection_key, expires_at);

CREATE TABLE discovery_runs (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connection_id     text        NOT NULL,
  slot              timestamptz NOT NULL,
  owner             text        NOT NULL,
  started_at        timestamptz NOT NULL,
  lease_expires_at  timestamptz NOT NULL,
  finished_at       timestamptz,
  status            text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  races             integer     NOT NULL DEFAULT 0,
  new_events        integer     NOT NULL DEFAULT 0,
  api_calls         integer     NOT NULL DEFAULT 0,
  error             jsonb
);
CREATE INDEX discovery_runs_connection_idx ON discovery_runs (connection_id, started_at DESC, id DESC);

-- Every status change of a registration (removed, transferred, vanished, back to active), kept
-- so readers can see what happened and when. Written by triggers, stamped with the sync's `now`.
CREATE TABLE registration_status_changes (
  id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider             text        NOT NULL,
  registration_id      text        NOT NULL,
  event_id             text        NOT NULL,
  old_status           text,
  status               text        NOT NULL,
  removed_reason       text,
  new_registration_id  text,
  changed_at           timestamptz NOT NULL
);
CREATE INDEX registration_status_changes_reg_idx ON registration_status_changes (provider, registration_id, id);

-- SET search_path FROM CURRENT pins the store's schema: the trigger fires under the caller's path.
CREATE FUNCTION registration_status_change() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO registration_status_changes
    (provider, registration_id, event_id, old_status, status, removed_reason, new_registration_id, changed_at)
  VALUES
    (NEW.provider, NEW.registration_id, NEW.event_id,
     CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
     NEW.status, NEW.removed_reason, NEW.new_registration_id, NEW.status_changed_at);
  RETURN NULL;
END
$$;

-- Only status changes fire: the insert path of an ordinary (active) registration pays nothing.
CREATE TRIGGER registrations_status_insert AFTER INSERT ON registrations
  FOR EACH ROW WHEN (NEW.status <> 'active') EXECUTE FUNCTION registration_status_change();
CREATE TRIGGER registrations_status_update AFTER UPDATE OF status ON registrations
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION registration_status_change();
