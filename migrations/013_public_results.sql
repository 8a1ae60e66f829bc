-- Typical cases (典型案例) published on /results: a summary written for the public by staff, linked to
-- a concluded lead but never its text. A case is public only once a second, different staff member
-- has approved it; an edit takes it back to pending, so what is public is always what was approved.
CREATE TABLE typical_cases (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_id      bigint NOT NULL REFERENCES reports (id),
  title          text NOT NULL,
  summary        text NOT NULL,
  author_id      bigint NOT NULL REFERENCES staff_users (id),
  status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'withdrawn')),
  approved_by    bigint REFERENCES staff_users (id),
  approved_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  -- The four-eyes rule, held by the database as well as the service.
  CHECK (approved_by IS NULL OR approved_by <> author_id),
  CHECK (status <> 'published' OR (approved_by IS NOT NULL AND approved_at IS NOT NULL))
);
CREATE INDEX typical_cases_published_idx ON typical_cases (approved_at DESC) WHERE status = 'published';

-- Campaign settings admins changed in the staff UI. A row overrides one top-level field of the
-- shipped campaign file (config/campaign.json) as a whole; no row means the shipped value.
CREATE TABLE campaign_settings (
  field       text PRIMARY KEY,
  value       jsonb NOT NULL,
  updated_by  bigint REFERENCES staff_users (id),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
