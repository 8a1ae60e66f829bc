-- The first admin without stopping the server: at a start with no staff account the server prints a
-- one-time set-up link. Only a SHA-256 of its random token is stored; the link works once, for
-- 24 hours, and only from a loopback client address (src/staff/setup.ts).
CREATE TABLE setup_links (
  token_hash  bytea PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  used_by     bigint REFERENCES staff_users (id)
);
