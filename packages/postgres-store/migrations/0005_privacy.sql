-- Personal data: retention (anonymisation of ended events' registrations) and erasure (forget).

-- When a registration's personal columns and raw were last cleared (retention or forget); a page
-- that writes the row again sets it back to null, so the next purge clears it again.
ALTER TABLE registrations ADD COLUMN anonymised_at timestamptz;

-- Retention finds what is left to anonymise without walking rows it already cleared: a first
-- purge over years of registrations runs as many short batches, each reading only its own rows.
CREATE INDEX registrations_not_anonymised_idx ON registrations (provider, event_id) WHERE anonymised_at IS NULL;

-- One row per person `forget` erased: the registration ids and the user id, so a later page that
-- brings them back (the provider still sends them) is stored and reported. Ids only.
CREATE TABLE forgotten (
  provider      text        NOT NULL,
  kind          text        NOT NULL CHECK (kind IN ('registration', 'user')),
  subject_id    text        NOT NULL,
  forgotten_at  timestamptz NOT NULL,
  PRIMARY KEY (provider, kind, subject_id)
);
