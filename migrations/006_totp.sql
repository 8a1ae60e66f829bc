-- Two-factor login with TOTP (RFC 6238), the "mandatory for everyone" switch, and indexes for the
-- audit log browser.

-- One row per user who has started enrolment. The secret is sealed with AES-256-GCM under a key
-- derived from APP_SECRET, so a database copy alone does not yield it. A row with enabled = false
-- is an enrolment awaiting its first code; an admin's reset deletes the row.
CREATE TABLE staff_totp (
  user_id        bigint PRIMARY KEY REFERENCES staff_users (id) ON DELETE CASCADE,
  secret_sealed  bytea NOT NULL,
  enabled        boolean NOT NULL DEFAULT false,
  -- The time step (Unix time / 30 s) of the last code accepted. A code is accepted only for a later
  -- step, so a code seen over someone's shoulder cannot be used again, even within its window.
  last_step      bigint,
  created_at     timestamptz NOT NULL DEFAULT now(),
  enabled_at     timestamptz
);

-- A session opened by a correct password for a user with TOTP: it reaches the code form and
-- logout only, until a code turns it into a full session (under a new id).
ALTER TABLE staff_sessions ADD COLUMN mfa_pending boolean NOT NULL DEFAULT false;

-- Settings an admin changes at run time. Exactly one row.
CREATE TABLE security_settings (
  id            boolean PRIMARY KEY DEFAULT true CHECK (id),
  mfa_required  boolean NOT NULL DEFAULT false,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  updated_by    bigint REFERENCES staff_users (id)
);
INSERT INTO security_settings DEFAULT VALUES;

-- The audit browser filters by actor and by action, newest first, with keyset pagination on
-- (at, id): these keep a filtered page cheap however long the log grows.
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC, id DESC);
