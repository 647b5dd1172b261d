-- A run or discovery whose process died while it ran is closed as 'abandoned' by whichever
-- process next claims that work, with the instant its lease expired as finished_at.
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_status_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_status_check
  CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned'));
ALTER TABLE discovery_runs DROP CONSTRAINT discovery_runs_status_check;
ALTER TABLE discovery_runs ADD CONSTRAINT discovery_runs_status_check
  CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned'));
