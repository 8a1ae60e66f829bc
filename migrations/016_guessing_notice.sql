-- Staff are told when the portal-wide budget of unknown tracking codes per hour is passed (a
-- guessing run spread over many addresses, src/plugins/limits.ts): one notice per hour at most,
-- kept unique by its dedup_key 'guessing:<hour>'.
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check
  CHECK (kind IN ('new_lead', 'follow_up', 'digest', 'guessing'));
