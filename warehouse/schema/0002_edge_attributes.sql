-- Edges keep their attributes besides the weight (e.g. recurrent=true in a recurrent
-- network's neuron graph), as JSON; NULL when an edge has none.
ALTER TABLE edges ADD COLUMN attributes JSON;
