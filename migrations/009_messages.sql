-- The conversation by tracking code: the reporter adds information or answers a question staff
-- asked; staff ask questions. The reporter sees both sides in order, never a staff name.
CREATE TABLE report_messages (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_id   bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  -- info: the reporter adds something; answer: the reporter answers a question; retaliation: the
  -- reporter says they suffered retaliation (遭受打击报复); question: staff ask the reporter.
  kind        text NOT NULL CHECK (kind IN ('info', 'answer', 'retaliation', 'question')),
  body        text NOT NULL,
  staff_id    bigint REFERENCES staff_users (id),          -- who asked; never shown to the reporter
  answered_at timestamptz,                                  -- a question: when the reporter answered it
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'question') = (staff_id IS NOT NULL))
);
CREATE INDEX report_messages_report_idx ON report_messages (report_id, created_at);
