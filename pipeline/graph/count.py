"""The counting-only graph of ``mixture plan``: read, normalise, then the label, filter,
join and mark stages of the registry exactly as ``mixture run`` applies them, and count
what every (source, language) bucket holds — what the sampler of a full run would see.
No sampling, no shards."""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from pipeline.config import Config
from pipeline.graph.inputs import Normalize, ReadSources, UniqueIds
from pipeline.graph.registry import STAGES, Stage, stages_of
from pipeline import files as fs
from pipeline.io.bitext import plan_parallel_inputs
from pipeline.io.readers import document_inputs
from pipeline.mixture.allocation import Bucket, BucketCounts
from pipeline.stages.mixture import SumCounts


def _kept(docs, kind: str, config: Config, stages: tuple[Stage, ...]):
    for stage in stages_of(kind, stages):
        if stage.enabled(config):
            docs = (docs | f"Stage[{stage.name}]" >> stage.build(config))["kept"]
    return docs


def count_available(config: Config, runner=None, stages: tuple[Stage, ...] = STAGES) -> dict[Bucket, BucketCounts]:
    """Counting-only run on Beam's in-process FnApiRunner: per-bucket documents, tokens,
    characters and bytes after the filters."""
    inputs = document_inputs(config, fs.expand_patterns)
    parallel_inputs = plan_parallel_inputs(config, fs.expand_patterns) if config.parallel.enabled else []
    workdir = tempfile.mkdtemp(prefix="mixture-plan-")
    out_path = os.path.join(workdir, "counts.json")
    try:
        p = beam.Pipeline(runner=runner or FnApiRunner(), options=PipelineOptions([]))
        docs = (p | "Read" >> ReadSources(config, inputs))["docs"]
        docs = (docs | "UniqueIds" >> UniqueIds())["kept"]
        docs = (docs | "Normalize" >> Normalize())["kept"]
        docs = _kept(docs, "label", config, stages)
        docs = _kept(docs, "filter", config, stages)
        if parallel_inputs:
            for stage in stages_of("join", stages):
                if stage.enabled(config):
                    pairs = (p | f"Join[{stage.name}]" >> stage.build(config, parallel_inputs))["docs"]
                    docs = (docs, pairs) | f"With[{stage.name}]" >> beam.Flatten()
        docs = _kept(docs, "mark", config, stages)
        _ = (
            docs
            | "BucketOf" >> beam.Map(lambda d: (f"{d.source}\x00{d.lang}", (1, d.tokens, d.n_chars, d.n_bytes)))
            | "Sum" >> beam.CombinePerKey(SumCounts())
            | "All" >> beam.combiners.ToList()
            | "Write" >> beam.Map(_write_counts, out_path)
        )
        p.run().wait_until_finish()
        with open(out_path, encoding="utf-8") as handle:
            rows = json.load(handle)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {tuple(key.split("\x00", 1)): BucketCounts(*values) for key, values in sorted(rows)}


def _write_counts(rows, path):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(sorted([key, list(values)] for key, values in rows), handle)
    return path
