-- A network's id now names what determines it (study, name, graph, config, seed), never its
-- measurements: the same job trained twice gets the same id. What was measured is hashed into
-- content_hash, which detects a changed result under a stored (study, name). Until this
-- version the id itself was that content hash (same algorithm), so old rows copy it over and
-- keep their ids: nothing is re-keyed, every row stays.
ALTER TABLE networks ADD COLUMN content_hash VARCHAR;
UPDATE networks SET content_hash = id;
