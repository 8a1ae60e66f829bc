-- The mail outbox. A notice is written here in the same statement or transaction as the change that
-- causes it, and sent later by a job (src/mail/), so an SMTP outage delays mail but never loses it.
--
-- Privacy: nothing in this table comes from a report. A notice says only that something is waiting
-- (with counts at most) and links to the staff login; payload never holds report text, category,
-- village, subject, amount, identity or tracking code. Addresses are not copied here either: they
-- are read from staff_users when the notice is sent.
CREATE TABLE mail_outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('new_lead', 'follow_up', 'digest')),
  -- Null: a notice for "whoever should know", resolved when it is sent (every enabled admin and
  -- investigator with an email address). The drain turns such a row into one row per recipient
  -- and marks it done (sent_at) in one statement, so each recipient's notice is retried on its own.
  recipient_id    bigint REFERENCES staff_users (id),
  payload         jsonb NOT NULL DEFAULT '{}',     -- counts only, e.g. {"count": 2}
  -- One notice per key at most: the daily digest uses 'digest:<user id>:<China date>', so a second
  -- instance (or a restart) running the digest the same day inserts nothing.
  dedup_key       text UNIQUE,
  attempts        integer NOT NULL DEFAULT 0,      -- sending attempts started (counted when claimed)
  -- When the row may next be claimed. A claimed row holds a lease (now + a few minutes) while it is
  -- being sent; a failure pushes it back with exponential backoff. Null once it is done: sent
  -- (sent_at set) or given up after the maximum attempts (sent_at null, last_error says why).
  next_attempt_at timestamptz DEFAULT now(),
  sent_at         timestamptz,
  last_error      text,                            -- the SMTP error of the last failed attempt
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (sent_at IS NULL OR next_attempt_at IS NULL)
);

-- The drain's one question, "what is due now?", reads only rows still pending: sent and abandoned
-- rows leave this partial index, which stays small however long the outbox grows.
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE next_attempt_at IS NOT NULL;
