-- A re-check draw (复核复查) or yearly spot check (年度抽查) covers one programme year or all of
-- them (null). The year is part of what a repetition needs, beside the seed and the digest.
ALTER TABLE recheck_draws ADD COLUMN programme_year smallint CHECK (programme_year BETWEEN 2017 AND 2100);
