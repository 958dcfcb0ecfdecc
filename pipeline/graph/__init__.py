"""The Beam graph of a run, built from the stage registry (see docs/architecture.md).

* :mod:`pipeline.graph.registry` — the ordered list of stages: name, config section,
  kind and the builder of each stage's transform;
* :mod:`pipeline.graph.inputs` — reading the sources, unique ids, normalisation;
* :mod:`pipeline.graph.outputs` — the output layout, shards, rejected records, dropped
  examples, the run's stats and shard list;
* :mod:`pipeline.graph.wiring` — ``build_graph``: inputs, every registered stage in
  order, outputs;
* :mod:`pipeline.graph.count` — the counting-only graph of ``mixture plan``.

The launcher (:mod:`pipeline.run`) builds the graph with these modules and runs it.
"""
