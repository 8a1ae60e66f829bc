-- The register list's counts per village (households, households with an open flag, open flags
-- by kind), stored so that a page view reads one small row per village instead of counting over
-- every household. The database computes them: refreshFlags recounts the villages it touched in
-- the same transaction, and clearing a flag recounts its village (src/households/repository.ts).

CREATE TABLE household_village_counts (
  village     text PRIMARY KEY,
  households  integer NOT NULL,
  flagged     integer NOT NULL,
  kinds       jsonb NOT NULL DEFAULT '{}',                 -- { flag kind: open flags of that kind }
  counted_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO household_village_counts (village, households, flagged, kinds)
SELECT h.village, count(*),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM household_flags f WHERE f.household_id = h.id AND f.resolved_at IS NULL AND f.cleared_at IS NULL)),
       coalesce((SELECT jsonb_object_agg(k.kind, k.n) FROM (
         SELECT f.kind, count(*) AS n FROM household_flags f JOIN households o ON o.id = f.household_id
         WHERE o.village = h.village AND f.resolved_at IS NULL AND f.cleared_at IS NULL GROUP BY f.kind) k), '{}')
FROM households h
GROUP BY h.village;
