-- Reports (leads) as submitted. Deliberately no column for an IP address, user agent or any other
-- detail of the reporter's device: anonymity is a property of the schema, not only of the code.
CREATE TABLE reports (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code_hash       bytea NOT NULL UNIQUE,          -- HMAC-SHA256 of the tracking code under APP_SECRET
  channel         text NOT NULL DEFAULT 'web',
  category        text NOT NULL CHECK (category IN ('funds', 'policy', 'duty', 'integrity')),
  typical_form    text,
  village         text,                           -- a village id from the campaign file, or 'other'
  subject         text,                           -- who is involved, as typed
  description     text NOT NULL,
  period_month    date,                           -- first day of the month the events happened in
  amount_yuan     numeric(14, 2) CHECK (amount_yuan >= 0),
  real_name       boolean NOT NULL DEFAULT false,
  identity_sealed bytea,                          -- AES-256-GCM of {name, phone}; null when anonymous
  status          text NOT NULL DEFAULT 'received'
                  CHECK (status IN ('received', 'verifying', 'investigating', 'concluded',
                                    'not_accepted', 'transferred', 'merged')),
  submitted_at    timestamptz NOT NULL DEFAULT now(),
  status_changed_at timestamptz NOT NULL DEFAULT now(),
  CHECK (real_name = (identity_sealed IS NOT NULL))
);

-- Updates written for the reporter, shown on the status page.
CREATE TABLE report_updates (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_id   bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  body        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_updates_report_idx ON report_updates (report_id, created_at);

-- Makes a repeated form submission idempotent: the same submission token finds the same report,
-- and its code is recovered from sealed_code, which only the token (held by the reporter's page)
-- and APP_SECRET together can open. The same token with different content is a new report (a
-- reporter who went back and wrote another one). Rows older than a day are deleted.
CREATE TABLE submission_receipts (
  token_hash  bytea PRIMARY KEY,                 -- HMAC of the token the form page carried
  input_hash  bytea NOT NULL,                     -- HMAC of what was submitted with it
  report_id   bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  sealed_code bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submission_receipts_created_idx ON submission_receipts (created_at);
