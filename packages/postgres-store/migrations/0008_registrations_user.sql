-- `forget` by user id (the runner's `forget --user`) finds the person's registrations through this
-- index instead of reading the whole table. Partial: registrations without a user id are not in
-- it, and neither is a forgotten or anonymised one (both clear `user_id`).
CREATE INDEX registrations_user_idx ON registrations (provider, user_id) WHERE user_id IS NOT NULL;
