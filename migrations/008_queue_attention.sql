-- The queue, tuned for a million leads, and a way for the reporter to bring a lead back to the top.

-- A reporter who writes again puts the lead on top of the queue (1); a report of retaliation goes
-- above everything (2). Staff answering clears it back to 0.
ALTER TABLE reports ADD COLUMN attention smallint NOT NULL DEFAULT 0 CHECK (attention BETWEEN 0 AND 2);

-- Queue order: attention first, then most urgent (due date), then newest. Keyset pagination walks
-- these indexes, so a page costs the same at any depth. Merged duplicates never show in the queue
-- (merged_into_id IS NULL, the same as status <> 'merged' by reports_merged_check). The partial
-- indexes say it that way on purpose: a query filtered by status does not imply it, so the planner
-- cannot pick the general index for it. It would, taking one status's leads to be spread evenly
-- along the queue order, while closed leads (no due date) all sit at its end: 2 s instead of
-- 0.2 ms for the concluded ones at a million leads (docs/PERFORMANCE.md).
DROP INDEX reports_queue_idx;
DROP INDEX reports_status_queue_idx;
DROP INDEX reports_assignee_queue_idx;
CREATE INDEX reports_queue_idx ON reports (attention DESC, due_on ASC NULLS LAST, id DESC) WHERE merged_into_id IS NULL;
CREATE INDEX reports_status_queue_idx ON reports (status, attention DESC, due_on ASC NULLS LAST, id DESC);
CREATE INDEX reports_assignee_queue_idx ON reports (assignee_id, attention DESC, due_on ASC NULLS LAST, id DESC) WHERE merged_into_id IS NULL;
-- The filter staff use most after status: one village's leads of one kind.
CREATE INDEX reports_place_queue_idx ON reports (category, village, attention DESC, due_on ASC NULLS LAST, id DESC) WHERE merged_into_id IS NULL;
-- Date-range filters and the statistics by month.
CREATE INDEX reports_received_idx ON reports (received_at);

-- Substring search in Chinese text (no spaces between words): trigram indexes answer ILIKE
-- '%…%' for terms of three characters or more, and similarity() finds leads written alike.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX reports_description_trgm_idx ON reports USING gin (description gin_trgm_ops);
CREATE INDEX reports_subject_trgm_idx ON reports USING gin (subject gin_trgm_ops);
