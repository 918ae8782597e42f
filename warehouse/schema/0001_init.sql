-- sparsescope warehouse, schema version 1.
-- Every trained network is a graph (nodes, edges) plus its metrics, features and lineage.
-- Network ids are content hashes: re-ingesting the same network is a no-op.

CREATE TABLE studies (
    id          VARCHAR PRIMARY KEY,              -- user-chosen or derived slug
    kind        VARCHAR NOT NULL,                 -- 'import', 'random-graphs', 'priors', ...
    config      JSON,                             -- the study's configuration
    created     TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE networks (
    id               VARCHAR PRIMARY KEY,         -- content hash of study + name + graph + metrics
    study_id         VARCHAR NOT NULL REFERENCES studies (id),
    name             VARCHAR NOT NULL,            -- unique within its study
    family           VARCHAR NOT NULL,            -- 'graph', 'feedforward', 'dag', 'rnn', ...
    cell             VARCHAR,                     -- 'tanh', 'relu', 'lstm', 'gru' for recurrent nets
    generator        VARCHAR,                     -- random-graph generator, if any
    generator_params JSON,
    seed             BIGINT,
    has_graph        BOOLEAN NOT NULL DEFAULT true, -- false for rows of an imported meta-dataset
    directed         BOOLEAN NOT NULL DEFAULT false,
    num_nodes        INTEGER,
    num_edges        INTEGER,
    num_parameters   BIGINT,                      -- trainable parameters of the model, if known
    num_nonzero      BIGINT,                      -- non-zero parameters, if known
    sparsity         DOUBLE,                      -- 1 - num_nonzero / num_parameters, if known
    parent_id        VARCHAR,                     -- lineage: the network this one was derived from
    attributes       JSON,
    created          TIMESTAMP NOT NULL DEFAULT current_timestamp,
    UNIQUE (study_id, name)
);

CREATE TABLE nodes (
    network_id  VARCHAR NOT NULL,
    node        INTEGER NOT NULL,                 -- 0..num_nodes-1, the index edges refer to
    label       VARCHAR NOT NULL,                 -- the vertex id as given
    layer       INTEGER,                          -- layer index, if known
    attributes  JSON,
    PRIMARY KEY (network_id, node)
);

CREATE TABLE edges (
    network_id  VARCHAR NOT NULL,
    source      INTEGER NOT NULL,
    target      INTEGER NOT NULL,
    weight      DOUBLE
);

CREATE TABLE metrics (
    network_id  VARCHAR NOT NULL,
    epoch       INTEGER NOT NULL,                 -- 0 for metrics known only once (imports)
    split       VARCHAR NOT NULL,                 -- 'train', 'test', ... or '' when unnamed
    metric      VARCHAR NOT NULL,                 -- 'acc', 'loss', 'wall_time', ...
    value       DOUBLE,
    PRIMARY KEY (network_id, epoch, split, metric)
);

-- Categorical facts about a network that are not base columns (e.g. an imported
-- meta-dataset's "rnn_type" column); they become text columns of the meta_dataset view.
CREATE TABLE labels (
    network_id  VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    value       VARCHAR,
    PRIMARY KEY (network_id, name)
);

CREATE TABLE features (
    network_id  VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    value       DOUBLE,
    PRIMARY KEY (network_id, name)
);

-- The last value of every metric of every network; column name is split_metric (or metric).
CREATE VIEW final_metrics AS
SELECT
    network_id,
    CASE WHEN split = '' THEN metric ELSE split || '_' || metric END AS name,
    arg_max(value, epoch) AS value,
    max(epoch) AS epoch
FROM metrics
GROUP BY network_id, split, metric;

CREATE VIEW network_summary AS
SELECT
    n.study_id, s.kind AS study_kind, n.id AS network_id, n.name, n.family, n.cell, n.generator,
    n.num_nodes, n.num_edges, n.sparsity, n.parent_id, n.created
FROM networks n JOIN studies s ON s.id = n.study_id;

-- One row per network with its features and final metrics as columns. The warehouse recreates
-- this view whenever new feature, label or metric names arrive (warehouse/store.py); this
-- first version has the descriptive columns only.
CREATE VIEW meta_dataset AS
SELECT n.id AS network_id, n.study_id, n.name, n.family, n.cell, n.generator, n.seed,
       n.num_nodes, n.num_edges, n.sparsity, n.parent_id
FROM networks n;
