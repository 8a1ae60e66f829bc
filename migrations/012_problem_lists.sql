-- The campaign office's side: each village's problem list (问题清单, the seed's attachment), its
-- monthly filings, and the look-back re-checks (回头看) of concluded leads and finished rows.

CREATE TABLE problem_rows (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  village     text NOT NULL,                                  -- 填报单位: a village id of the campaign file
  category    text NOT NULL CHECK (category IN ('funds', 'policy', 'duty', 'integrity')),  -- 问题类别
  problem     text NOT NULL,                                  -- 自查问题
  measures    text NOT NULL,                                  -- 整改措施
  progress    text NOT NULL DEFAULT 'not_started' CHECK (progress IN ('not_started', 'in_progress', 'done')),
  deadline    date NOT NULL,                                  -- 完成时限
  source      text NOT NULL CHECK (source IN ('lead', 'self_check')),
  created_by  bigint NOT NULL REFERENCES staff_users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  done_at     timestamptz,                                    -- set when the row is marked done, cleared when reopened
  CHECK ((progress = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX problem_rows_village_idx ON problem_rows (village, category, id);
-- Overdue rows (deadline passed, not done) are counted on every list page and the dashboard.
CREATE INDEX problem_rows_open_deadline_idx ON problem_rows (deadline) WHERE progress <> 'done';

-- Every progress change or note on a row, dated, oldest first: the 整改进度 history.
CREATE TABLE problem_row_notes (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  row_id      bigint NOT NULL REFERENCES problem_rows (id) ON DELETE CASCADE,
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    bigint REFERENCES staff_users (id),
  progress    text NOT NULL CHECK (progress IN ('not_started', 'in_progress', 'done')),
  note        text NOT NULL,
  lookback    boolean NOT NULL DEFAULT false            -- written by a look-back re-check that found a relapse
);
CREATE INDEX problem_row_notes_row_idx ON problem_row_notes (row_id, at);

-- Which lead(s) a row came from; looked up from either side.
CREATE TABLE problem_row_leads (
  row_id      bigint NOT NULL REFERENCES problem_rows (id) ON DELETE CASCADE,
  report_id   bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
  linked_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (row_id, report_id)
);
CREATE INDEX problem_row_leads_report_idx ON problem_row_leads (report_id);

-- A village's list as filed for a month: the rows frozen as they stood, and who signed it.
CREATE TABLE problem_list_filings (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  village          text NOT NULL,
  month            date NOT NULL CHECK (extract(day FROM month) = 1),  -- 'YYYY-MM-01'
  snapshot         jsonb NOT NULL,                       -- { rows: [...] }: the list as it stood
  secretary        text NOT NULL,                        -- 村书记
  resident_leader  text NOT NULL,                        -- 驻村领导
  clerk_name       text NOT NULL,                        -- 经办人员
  filed_on         date NOT NULL,                        -- 填报时间, as written on the paper
  filed_by         bigint NOT NULL REFERENCES staff_users (id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (village, month)
);

-- A look-back draw. The seed, the size of the candidate list and a digest of it are kept so that
-- anyone can repeat the draw (src/lookback/sample.ts) and get the same items.
CREATE TABLE lookback_draws (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  seed             text NOT NULL,
  rate_percent     numeric NOT NULL CHECK (rate_percent > 0 AND rate_percent <= 100),
  minimum          integer NOT NULL CHECK (minimum >= 0),
  candidate_count  integer NOT NULL,
  candidate_digest text NOT NULL,                        -- sha-256 of the ordered candidate keys
  drawn_by         bigint NOT NULL REFERENCES staff_users (id),
  drawn_at         timestamptz NOT NULL DEFAULT now(),
  assignee_id      bigint REFERENCES staff_users (id)
);

-- One drawn item (a concluded lead or a finished row) and its re-check finding once recorded.
CREATE TABLE lookback_items (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  draw_id     bigint NOT NULL REFERENCES lookback_draws (id) ON DELETE CASCADE,
  position    integer NOT NULL,                          -- order drawn
  report_id   bigint REFERENCES reports (id),
  row_id      bigint REFERENCES problem_rows (id),
  finding     text CHECK (finding IN ('held', 'relapsed')),
  note        text,
  checked_by  bigint REFERENCES staff_users (id),
  checked_at  timestamptz,
  CHECK ((report_id IS NULL) <> (row_id IS NULL)),
  CHECK ((finding IS NULL) = (checked_at IS NULL))
);
CREATE INDEX lookback_items_draw_idx ON lookback_items (draw_id, position);
CREATE INDEX lookback_items_report_idx ON lookback_items (report_id) WHERE report_id IS NOT NULL;
CREATE INDEX lookback_items_row_idx ON lookback_items (row_id) WHERE row_id IS NOT NULL;
