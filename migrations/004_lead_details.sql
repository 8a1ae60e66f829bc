-- Duplicates, real-name verification, upward transfer, and clearing a person's name.

ALTER TABLE reports
  ADD COLUMN merged_into_id        bigint REFERENCES reports (id),  -- a duplicate: its reporter follows this lead
  ADD COLUMN identity_verified_at  timestamptz,                     -- a real-name reporter confirmed by staff
  ADD COLUMN identity_verified_how text CHECK (identity_verified_how IN ('phone', 'in_person')),
  ADD COLUMN feedback_given_at     timestamptz,                     -- the outcome told to a verified real-name reporter
  -- It names a member of the town's own leadership, so it must go to the next level up; once it
  -- is transferred only a tombstone (no text, no identity) stays here.
  ADD COLUMN upward                boolean NOT NULL DEFAULT false,
  ADD COLUMN clearing_note         text;                            -- 澄清正名: internal, never shown to the reporter

ALTER TABLE reports ADD CONSTRAINT reports_merged_check CHECK ((status = 'merged') = (merged_into_id IS NOT NULL));
CREATE INDEX reports_related_idx ON reports (village, category) WHERE status <> 'merged';

ALTER TABLE report_events DROP CONSTRAINT report_events_kind_check;
ALTER TABLE report_events ADD CONSTRAINT report_events_kind_check
  CHECK (kind IN ('status', 'note', 'assign', 'priority', 'intake', 'merge', 'verify', 'feedback'));
