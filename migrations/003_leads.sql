-- The staff side of a report: one queue for every channel, the workflow, and its timeline.

ALTER TABLE reports
  ADD COLUMN received_at    timestamptz NOT NULL DEFAULT now(),  -- when it reached us (a letter's date, a call's time)
  ADD COLUMN recorded_by    bigint REFERENCES staff_users (id),  -- the clerk who typed in a lead from another channel
  ADD COLUMN assignee_id    bigint REFERENCES staff_users (id),
  ADD COLUMN priority       smallint NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 3),  -- 1 high, 2 normal, 3 low
  ADD COLUMN outcome        text CHECK (outcome IN ('substantiated', 'partly', 'unsubstantiated')),
  ADD COLUMN closing_note   text,                               -- why not accepted, or to whom transferred
  ADD COLUMN due_on         date,                               -- the current step's deadline; null once closed
  ADD COLUMN version        integer NOT NULL DEFAULT 1;         -- bumped by every staff change: stale forms get 409

ALTER TABLE reports ADD CONSTRAINT reports_channel_check CHECK (channel IN (
  'web', 'hotline', 'reception', 'visit', 'phone_followup', 'letter', 'audit', 'inspection', 'self_check'));

-- Queue order is most urgent first; keyset pagination walks (due_on, id) so a page costs the same
-- at any depth.
CREATE INDEX reports_queue_idx ON reports (due_on ASC NULLS LAST, id DESC);
CREATE INDEX reports_status_queue_idx ON reports (status, due_on ASC NULLS LAST, id DESC);
CREATE INDEX reports_assignee_queue_idx ON reports (assignee_id, due_on ASC NULLS LAST, id DESC);

-- Everything that happened to a lead, in order: status changes, notes, assignment, priority.
CREATE TABLE report_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_id   bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    bigint REFERENCES staff_users (id),
  kind        text NOT NULL CHECK (kind IN ('status', 'note', 'assign', 'priority', 'intake')),
  from_status text,
  to_status   text,
  body        text,                                   -- an internal note; never shown to the reporter
  detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX report_events_report_idx ON report_events (report_id, at);
