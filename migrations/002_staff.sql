-- Staff accounts, their server-side sessions, and the audit log.

CREATE TABLE staff_users (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,39}$'),
  role            text NOT NULL CHECK (role IN ('admin', 'investigator', 'clerk', 'viewer')),
  email           text,
  password_hash   text NOT NULL,                  -- PHC string: algorithm and parameters travel with it
  disabled        boolean NOT NULL DEFAULT false,
  failed_logins   integer NOT NULL DEFAULT 0,
  locked_until    timestamptz,                    -- set after too many failures; an admin can lift it
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Sessions live here (not in a signed cookie) so that they can be revoked. The cookie carries a
-- random id; only its SHA-256 is stored, so a database copy cannot be used to log in.
CREATE TABLE staff_sessions (
  id_hash       bytea PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
  csrf_token    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_sessions_user_idx ON staff_sessions (user_id);

-- Who did what. Append-only, enforced here and not only in the app: no UPDATE, DELETE or TRUNCATE.
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    bigint REFERENCES staff_users (id),
  actor_name  text,                               -- as typed, for failed logins of unknown names
  action      text NOT NULL,
  report_id   bigint,
  target_user_id bigint,
  detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_report_idx ON audit_log (report_id) WHERE report_id IS NOT NULL;

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
