-- Pruning runs (issues #9 and #10): one base network, one way of pruning it, many steps.
-- A run's prunable connections are stored ONCE, each with the step that pruned it, so a
-- step network keeps no nodes/edges rows of its own: its graph is the base's nodes plus the
-- base's edges minus the run's connections with pruned_at_step <= its step.
CREATE TABLE pruning_runs (
    run_id           VARCHAR PRIMARY KEY,         -- derived from study id + run key
    study_id         VARCHAR NOT NULL,
    base_network_id  VARCHAR NOT NULL,            -- the trained, unpruned network
    method           VARCHAR NOT NULL,            -- 'magnitude_class_blinded', 'obd', ...
    scheme           VARCHAR,                     -- 'one_shot', 'percentage', ... (FFN)
    target           VARCHAR,                     -- NULL for FFN; 'i2h' / 'h2h' / 'both' (RNN)
    granularity      VARCHAR,                     -- 'weights' / 'neurons'
    seed             BIGINT,
    attributes       JSON
);

CREATE TABLE run_connections (
    run_id          VARCHAR NOT NULL,
    source          INTEGER NOT NULL,             -- the BASE network's node indices
    target          INTEGER NOT NULL,
    weight          DOUBLE,                       -- the base model's value
    pruned_at_step  INTEGER,                      -- NULL: never pruned in this run
    attributes      JSON
);

ALTER TABLE networks ADD COLUMN pruning_run VARCHAR;   -- NULL for non-pruning networks
ALTER TABLE networks ADD COLUMN pruning_step INTEGER;

-- Nodes of every network: its own, or (for a step network) its base's.
CREATE VIEW network_nodes AS
SELECT network_id, node, label, layer, attributes FROM nodes
UNION ALL
SELECT s.id AS network_id, b.node, b.label, b.layer, b.attributes
FROM networks s
JOIN pruning_runs r ON r.run_id = s.pruning_run
JOIN nodes b ON b.network_id = r.base_network_id
WHERE s.pruning_step IS NOT NULL;

-- Edges of every network: the own edges of an ordinary network, the surviving base edges of
-- a step network.
CREATE VIEW network_edges AS
SELECT network_id, source, target, weight, attributes FROM edges
UNION ALL
SELECT s.id AS network_id, e.source, e.target, e.weight, e.attributes
FROM networks s
JOIN pruning_runs r ON r.run_id = s.pruning_run
JOIN edges e ON e.network_id = r.base_network_id
WHERE s.pruning_step IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM run_connections c
      WHERE c.run_id = r.run_id AND c.source = e.source AND c.target = e.target
        AND c.pruned_at_step <= s.pruning_step
  );

-- One row per step network. sparsity = share of the run's prunable connections pruned at
-- or before the step; acc_after = final test 'acc' (after re-training), acc_before = final
-- test 'acc_before' (right after the pruning step). Features: join meta_dataset on network_id.
CREATE VIEW pruning_steps AS
WITH pruned AS (
    SELECT run_id, pruned_at_step AS step, count(*) AS k
    FROM run_connections WHERE pruned_at_step IS NOT NULL GROUP BY ALL
), total AS (
    SELECT run_id, count(*) AS connections FROM run_connections GROUP BY run_id
)
SELECT r.run_id, r.study_id, n.id AS network_id, n.name, r.base_network_id, n.parent_id,
       r.method, r.scheme, r.target, r.granularity, r.seed, n.pruning_step AS step,
       coalesce((SELECT sum(p.k) FROM pruned p
                 WHERE p.run_id = r.run_id AND p.step <= n.pruning_step), 0)
           / nullif(t.connections, 0) AS sparsity,
       b.value AS acc_before, a.value AS acc_after,
       r.attributes AS run_attributes, n.attributes
FROM networks n
JOIN pruning_runs r ON r.run_id = n.pruning_run
LEFT JOIN total t ON t.run_id = r.run_id
LEFT JOIN final_metrics a ON a.network_id = n.id AND a.name = 'test_acc'
LEFT JOIN final_metrics b ON b.network_id = n.id AND b.name = 'test_acc_before'
WHERE n.pruning_step IS NOT NULL;
