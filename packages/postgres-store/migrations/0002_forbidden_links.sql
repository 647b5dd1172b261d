-- A connection's link to an event can be forbidden: the provider refused that race to those
-- credentials (RunSignUp error 7 on the race's participants). The link is kept so the status
-- shows it; claims skip it; discovery seeing the race again through the connection clears it.
ALTER TABLE connection_events
  ADD COLUMN forbidden_at    timestamptz,
  ADD COLUMN forbidden_error jsonb;

-- Claims look up usable links per event.
CREATE INDEX connection_events_usable_idx ON connection_events (provider, event_id, connection_id)
  WHERE forbidden_at IS NULL;
