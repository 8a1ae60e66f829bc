-- Files a reporter sends with a report or a message: photos of receipts, of unfinished houses, and
-- PDFs. Only the cleaned copy is kept (metadata removed, src/attachments/), sealed with AES-256-GCM
-- under a key derived from APP_SECRET; size and SHA-256 are of those cleaned bytes. The original
-- file name is display text only, never a path.

-- Lets an attachment's message be required to belong to the same report (the foreign key below).
ALTER TABLE report_messages ADD CONSTRAINT report_messages_id_report_key UNIQUE (id, report_id);

CREATE TABLE attachments (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_id    bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  message_id   bigint,                                      -- null: sent with the report itself
  display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 120),
  mime         text NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
  size_bytes   integer NOT NULL CHECK (size_bytes > 0),
  sha256       bytea NOT NULL CHECK (length(sha256) = 32),
  sealed       bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (message_id, report_id) REFERENCES report_messages (id, report_id) ON DELETE CASCADE
);
CREATE INDEX attachments_report_idx ON attachments (report_id, id);
CREATE INDEX attachments_message_idx ON attachments (message_id) WHERE message_id IS NOT NULL;
