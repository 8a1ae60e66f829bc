-- Days an admin adds to the shipped calendar file (config/cn-public-holidays.json): next year's
-- list, published by the State Council around December, or a local correction. A row here wins
-- over the file for its day.
CREATE TABLE calendar_days (
  day         date PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('holiday', 'workday')),
  note        text,
  updated_by  bigint REFERENCES staff_users (id),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
