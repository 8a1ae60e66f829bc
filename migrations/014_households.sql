-- The household register (对象户台账): every household renovated under the programme since 2017,
-- its payments, the flags computed over it, the re-check draws (复核复查, 年度抽查) and the leads
-- that name it. The reporter never sees any of this.
--
-- ID numbers (身份证号) are the most sensitive data here: only id_sealed (AES-256-GCM under the
-- 'household-id-seal' key) holds one; id_hash (HMAC under 'household-id-hash') matches duplicates;
-- id_masked (first 3 and last 4, as every page shows it) is kept so that lists need no unsealing.

CREATE TABLE households (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  village          text NOT NULL,                          -- a village id of the campaign file
  village_group    text NOT NULL DEFAULT '',               -- 组 (村民小组), as written
  head_name        text NOT NULL,                          -- 户主姓名
  id_sealed        bytea NOT NULL,
  id_hash          bytea NOT NULL,
  id_masked        text NOT NULL,
  phone            text,                                   -- optional, digits only
  household_type   text NOT NULL,                          -- 农户类型: a key of the campaign file's list
  danger_grade     text NOT NULL CHECK (danger_grade IN ('C', 'D')),
  method           text NOT NULL,                          -- 整治方式: a key of the campaign file's list
  programme_year   smallint NOT NULL CHECK (programme_year BETWEEN 2017 AND 2100),
  approved_yuan    numeric(12, 2) NOT NULL CHECK (approved_yuan >= 0 AND approved_yuan <= 10000000),
  accepted_on      date,                                   -- 竣工验收
  posted_village_from date, posted_village_to date,        -- 公示 at village level
  posted_town_from    date, posted_town_to    date,        -- 公示 at town level
  archive          jsonb NOT NULL DEFAULT '{}',            -- { item key: true | false }: 档案资料
  proxy_reason     text,                                   -- why a payee other than the head is accepted (代领)
  content_digest   bytea NOT NULL,                         -- sha-256 of the normalized record: re-import changes nothing
  version          integer NOT NULL DEFAULT 1,
  created_by       bigint REFERENCES staff_users (id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (posted_village_to IS NULL OR posted_village_from IS NULL OR posted_village_to >= posted_village_from),
  CHECK (posted_town_to IS NULL OR posted_town_from IS NULL OR posted_town_to >= posted_town_from),
  -- The import's key: one record per ID number, village and programme year. The same ID in another
  -- year or village is another record, and the duplicate flag finds it.
  UNIQUE (village, id_hash, programme_year)
);
CREATE INDEX households_id_hash_idx ON households (id_hash);
CREATE INDEX households_village_idx ON households (village, id);
CREATE INDEX households_peer_idx ON households (village, household_type, danger_grade, method, programme_year);

-- 补助资金发放情况: each payment as paid out.
CREATE TABLE household_payments (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  household_id  bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  position      smallint NOT NULL,                         -- order on the household's record
  paid_on       date NOT NULL,
  amount_yuan   numeric(12, 2) NOT NULL CHECK (amount_yuan > 0 AND amount_yuan <= 10000000),
  payee_name    text NOT NULL,
  channel       text NOT NULL DEFAULT '',                  -- 一卡通, 银行转账, …, as written
  UNIQUE (household_id, position)
);

-- Every change to a household, oldest first. Changed ID numbers appear masked only.
CREATE TABLE household_history (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  household_id  bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  at            timestamptz NOT NULL DEFAULT now(),
  actor_id      bigint REFERENCES staff_users (id),
  source        text NOT NULL CHECK (source IN ('import', 'edit', 'flag', 'recheck', 'lead')),
  import_id     bigint,
  changes       jsonb NOT NULL                             -- { field: [before, after] } or an event
);
CREATE INDEX household_history_household_idx ON household_history (household_id, id);

-- 补助标准: the amount for a household type, grade and method in a range of programme years.
CREATE TABLE subsidy_standards (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  household_type  text NOT NULL,
  danger_grade    text NOT NULL CHECK (danger_grade IN ('C', 'D')),
  method          text NOT NULL,
  year_from       smallint NOT NULL CHECK (year_from BETWEEN 2017 AND 2100),
  year_to         smallint NOT NULL CHECK (year_to BETWEEN 2017 AND 2100),
  amount_yuan     numeric(12, 2) NOT NULL CHECK (amount_yuan >= 0),
  updated_by      bigint REFERENCES staff_users (id),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (year_to >= year_from)
);
CREATE INDEX subsidy_standards_key_idx ON subsidy_standards (household_type, danger_grade, method, year_from);

-- A flag as the database computed it. A flag whose condition no longer holds is resolved (kept,
-- with resolved_at); one cleared by staff keeps its note and stays cleared while the condition
-- holds. Nothing here is deleted: the flag's history is the rows themselves.
CREATE TABLE household_flags (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  household_id  bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('duplicate_id', 'off_standard', 'off_approved', 'peer_difference',
                  'paid_before_acceptance', 'paid_without_acceptance', 'proxy_payee', 'not_posted',
                  'posting_short', 'archive_missing', 'named_in_lead')),
  detail        jsonb NOT NULL DEFAULT '{}',               -- the figures the plain-words reason names
  raised_at     timestamptz NOT NULL DEFAULT now(),
  resolved_at   timestamptz,                               -- the condition stopped holding
  cleared_at    timestamptz,                               -- staff cleared it with a note
  cleared_by    bigint REFERENCES staff_users (id),
  clear_note    text,
  CHECK ((cleared_at IS NULL) = (clear_note IS NULL)),
  CHECK ((cleared_at IS NULL) = (cleared_by IS NULL))
);
-- At most one flag of a kind is live (neither resolved) per household.
CREATE UNIQUE INDEX household_flags_live_idx ON household_flags (household_id, kind) WHERE resolved_at IS NULL;
CREATE INDEX household_flags_open_idx ON household_flags (kind, household_id) WHERE resolved_at IS NULL AND cleared_at IS NULL;

-- Which leads are about which households (linked by staff on the lead).
CREATE TABLE household_leads (
  household_id  bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  report_id     bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  linked_by     bigint NOT NULL REFERENCES staff_users (id),
  linked_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (household_id, report_id)
);
CREATE INDEX household_leads_report_idx ON household_leads (report_id);

-- An uploaded import between preview and commit. The file is kept sealed (it holds ID numbers) and
-- dropped once committed or discarded; the digest makes a second upload of the same file known.
CREATE TABLE household_imports (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  file_digest   bytea NOT NULL,                            -- sha-256 of the file's bytes
  file_kind     text NOT NULL CHECK (file_kind IN ('csv', 'xlsx')),
  file_sealed   bytea,                                     -- null once committed or discarded
  row_count     integer NOT NULL DEFAULT 0,
  summary       jsonb NOT NULL DEFAULT '{}',               -- { created, updated, unchanged, problems }
  status        text NOT NULL DEFAULT 'preview' CHECK (status IN ('preview', 'committed', 'discarded')),
  uploaded_by   bigint NOT NULL REFERENCES staff_users (id),
  uploaded_at   timestamptz NOT NULL DEFAULT now(),
  committed_at  timestamptz,
  CHECK ((status = 'preview') = (file_sealed IS NOT NULL))
);

-- A re-check draw (复核复查, at least 1%, at least one a village) or the yearly spot check (年度抽查).
-- Seed, candidate count and digest let anyone repeat it, as for look-back draws.
CREATE TABLE recheck_draws (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind                text NOT NULL CHECK (kind IN ('recheck', 'spot_check')),
  seed                text NOT NULL,
  rate_percent        numeric NOT NULL CHECK (rate_percent > 0 AND rate_percent <= 100),
  minimum_per_village integer NOT NULL CHECK (minimum_per_village >= 0),
  candidate_count     integer NOT NULL,
  candidate_digest    text NOT NULL,
  forced_flagged      boolean NOT NULL DEFAULT false,      -- every flagged household was put in as well
  drawn_by            bigint NOT NULL REFERENCES staff_users (id),
  drawn_at            timestamptz NOT NULL DEFAULT now()
);

-- One household in a draw, and its re-check once recorded.
CREATE TABLE recheck_items (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  draw_id         bigint NOT NULL REFERENCES recheck_draws (id) ON DELETE CASCADE,
  household_id    bigint NOT NULL REFERENCES households (id),
  position        integer NOT NULL,
  forced          boolean NOT NULL DEFAULT false,          -- in because it is flagged, not drawn
  method          text CHECK (method IN ('home_visit', 'phone', 'records', 'site')),
  checked_on      date,
  checker_id      bigint REFERENCES staff_users (id),
  fields          jsonb,                                   -- { field: true (matches) | false }
  note            text,
  recorded_at     timestamptz,
  UNIQUE (draw_id, household_id),
  CHECK ((recorded_at IS NULL) = (method IS NULL)),
  CHECK ((recorded_at IS NULL) = (checked_on IS NULL))
);
CREATE INDEX recheck_items_draw_idx ON recheck_items (draw_id, position);
CREATE INDEX recheck_items_household_idx ON recheck_items (household_id);

-- Problem-list rows can now come from the register (a re-check mismatch or a flag) and name households.
ALTER TABLE problem_rows DROP CONSTRAINT problem_rows_source_check;
ALTER TABLE problem_rows ADD CONSTRAINT problem_rows_source_check CHECK (source IN ('lead', 'self_check', 'register'));

CREATE TABLE problem_row_households (
  row_id        bigint NOT NULL REFERENCES problem_rows (id) ON DELETE CASCADE,
  household_id  bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
  recheck_item_id bigint REFERENCES recheck_items (id),
  linked_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (row_id, household_id)
);
CREATE INDEX problem_row_households_household_idx ON problem_row_households (household_id);
