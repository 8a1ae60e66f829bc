-- Times that follow from a reporter's act are kept to the hour (Asia/Shanghai and UTC hours
-- coincide). A village's Wi-Fi or a carrier's log of who opened the site at 12:35:24 would name the
-- reporter next to an exact submission time; the working-day deadlines need no more than the hour.
-- Order is kept by id. The triggers hold for every writer (the app, the seed, a psql session), so
-- no code path can store a finer time.

CREATE FUNCTION coarse_report_times() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.submitted_at := date_trunc('hour', NEW.submitted_at);
  NEW.received_at := date_trunc('hour', NEW.received_at);
  IF TG_OP = 'INSERT' THEN
    NEW.status_changed_at := date_trunc('hour', NEW.status_changed_at);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER reports_coarse_times BEFORE INSERT OR UPDATE OF submitted_at, received_at ON reports
  FOR EACH ROW EXECUTE FUNCTION coarse_report_times();

CREATE FUNCTION coarse_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := date_trunc('hour', NEW.created_at);
  RETURN NEW;
END $$;
CREATE TRIGGER submission_receipts_coarse_times BEFORE INSERT ON submission_receipts
  FOR EACH ROW EXECUTE FUNCTION coarse_created_at();
CREATE TRIGGER attachments_coarse_times BEFORE INSERT ON attachments
  FOR EACH ROW EXECUTE FUNCTION coarse_created_at();
-- Staff questions too: the conversation is then one scale of time, shown in id order.
CREATE TRIGGER report_messages_coarse_times BEFORE INSERT ON report_messages
  FOR EACH ROW EXECUTE FUNCTION coarse_created_at();

CREATE FUNCTION coarse_answered_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.answered_at := date_trunc('hour', NEW.answered_at);
  RETURN NEW;
END $$;
CREATE TRIGGER report_messages_coarse_answer BEFORE INSERT OR UPDATE OF answered_at ON report_messages
  FOR EACH ROW EXECUTE FUNCTION coarse_answered_at();

-- A notice caused by a reporter (a new lead, a follow-up) waits for the next full hour, coalesced
-- with the others of that hour: its delivery time says no more than the stored hour does.
CREATE FUNCTION hold_reporter_notice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := date_trunc('hour', NEW.created_at);
  NEW.next_attempt_at := date_trunc('hour', now()) + interval '1 hour';
  RETURN NEW;
END $$;
CREATE TRIGGER mail_outbox_hold_reporter_notice BEFORE INSERT ON mail_outbox
  FOR EACH ROW WHEN (NEW.kind IN ('new_lead', 'follow_up') AND NEW.payload = '{}'::jsonb)
  EXECUTE FUNCTION hold_reporter_notice();

-- Rows stored before this migration, the same way (the triggers above do the rounding).
UPDATE reports SET submitted_at = submitted_at, received_at = received_at,
  status_changed_at = CASE WHEN status_changed_at = submitted_at THEN date_trunc('hour', status_changed_at)
                           ELSE status_changed_at END;
UPDATE submission_receipts SET created_at = date_trunc('hour', created_at);
UPDATE attachments SET created_at = date_trunc('hour', created_at);
UPDATE report_messages SET created_at = date_trunc('hour', created_at), answered_at = answered_at;
UPDATE mail_outbox SET created_at = date_trunc('hour', created_at) WHERE kind IN ('new_lead', 'follow_up');
