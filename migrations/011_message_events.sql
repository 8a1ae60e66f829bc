-- The conversation by code on the staff side.

-- A lead's page shows the messages of the duplicates merged into it: found without a scan.
CREATE INDEX reports_merged_into_idx ON reports (merged_into_id) WHERE merged_into_id IS NOT NULL;

-- Staff marking the reporter's new messages as handled is part of the lead's history. The messages
-- themselves stay in report_messages only, and the lead page shows them in its timeline.
ALTER TABLE report_events DROP CONSTRAINT report_events_kind_check;
ALTER TABLE report_events ADD CONSTRAINT report_events_kind_check
  CHECK (kind IN ('status', 'note', 'assign', 'priority', 'intake', 'merge', 'verify', 'feedback', 'handled'));
