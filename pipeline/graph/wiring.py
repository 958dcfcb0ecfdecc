"""``build_graph``: reading, then every registered stage in order, then the outputs.

    read ─► unique ids ─► normalize ─► label stages ─► [input] ─► filter stages ─► + join branches
         ─► mark stages ─► [filtered] ─► sample ─► inject ─► [final] ─► shards   (+ rejected/, stats)

The stages and their order come from :mod:`pipeline.graph.registry`. Every stage returns
{"kept", "dropped", "stats"} (see pipeline/stages/base.py), optionally "examples"
(dropped examples) and, for inject stages, "manifest". Dropped documents and rejected
records are counted into one stats table, so the launcher can check after the run that
every record read is accounted for exactly once. [input], [filtered] and [final] are the
measuring points of the report.
"""

from __future__ import annotations

import apache_beam as beam

from pipeline.config import Config
from pipeline.graph.inputs import Normalize, ReadSources, UniqueIds, read_stats, rejected_stats
from pipeline.graph.outputs import (
    RunLayout,
    WriteRejected,
    WriteShards,
    canary_manifest_path,
    sorted_entries,
    sorted_stats,
    write_canary_manifest,
    write_examples,
    write_json,
)
from pipeline.graph.registry import STAGES, Stage, stages_of
from pipeline.io.readers import InputFile
from pipeline.records import Doc, Dropped
from pipeline.stats import dropped_figures, point_figures


def point_stats(point: str):
    """Per (source, language): documents, tokens, characters and bytes at a measuring point."""

    def measure(doc: Doc):
        return point_figures(point, doc)

    return measure


def dropped_stats(dropped: Dropped):
    return dropped_figures(dropped.reason, dropped.doc)


class _Collector:
    """The side outputs of the stages: dropped documents, stats, dropped examples."""

    def __init__(self):
        self.dropped: list = []
        self.stats: list = []
        self.examples: list = []

    def apply(self, docs, stage: Stage, config: Config):
        result = docs | f"Stage[{stage.name}]" >> stage.build(config)
        if "dropped" in result:
            self.dropped.append(result["dropped"])
        if "stats" in result:
            self.stats.append(result["stats"])
        if "examples" in result:
            self.examples.append(result["examples"])
        return result["kept"]


def apply_stages(docs, kind: str, config: Config, collect: _Collector, stages: tuple[Stage, ...] = STAGES):
    """Applies the enabled stages of one kind, in registry order."""
    for stage in stages_of(kind, stages):
        if stage.enabled(config):
            docs = collect.apply(docs, stage, config)
    return docs


def join_branches(p, config: Config, parallel_inputs: list[InputFile] | None,
                  stages: tuple[Stage, ...] = STAGES) -> list[tuple[str, dict]]:
    """The enabled join stages that have input files: (name, their output dict)."""
    if not parallel_inputs:
        return []
    return [(stage.name, p | f"Join[{stage.name}]" >> stage.build(config, parallel_inputs))
            for stage in stages_of("join", stages) if stage.enabled(config)]


def build_graph(p: beam.Pipeline, config: Config, inputs: list[InputFile], layout: RunLayout,
                progress_seconds: float = 0.0, parallel_inputs: list[InputFile] | None = None,
                stages: tuple[Stage, ...] = STAGES) -> None:
    collect = _Collector()
    stats = collect.stats

    read = p | "Read" >> ReadSources(config, inputs, progress_seconds)
    docs, rejected = read["docs"], read["rejected"]
    branches = join_branches(p, config, parallel_inputs, stages)
    for name, branch in branches:
        rejected = (rejected, branch["rejected"]) | f"WithRejected[{name}]" >> beam.Flatten()
        stats.append(branch["docs"] | f"ReadStats[{name}]Docs" >> beam.FlatMap(read_stats))
        stats.append(branch["dropped"] | f"ReadStats[{name}]Dropped" >> beam.FlatMap(lambda d: read_stats(d.doc)))
        stats.append(branch["stats"])
        collect.dropped.append(branch["dropped"])
    stats.append(docs | "ReadStatsDocs" >> beam.FlatMap(read_stats))
    stats.append(rejected | "ReadStatsRejected" >> beam.FlatMap(read_stats))
    stats.append(rejected | "RejectedStats" >> beam.FlatMap(rejected_stats))

    unique = docs | "UniqueIds" >> UniqueIds()
    stats.append(unique["stats"])
    normalized = unique["kept"] | "Normalize" >> Normalize()
    collect.dropped.append(normalized["dropped"])
    docs = normalized["kept"]

    docs = apply_stages(docs, "label", config, collect, stages)
    stats.append(docs | "MeasureInput" >> beam.FlatMap(point_stats("input")))
    docs = apply_stages(docs, "filter", config, collect, stages)
    for name, branch in branches:
        docs = (docs, branch["docs"]) | f"With[{name}]" >> beam.Flatten()
    docs = apply_stages(docs, "mark", config, collect, stages)
    stats.append(docs | "MeasureFiltered" >> beam.FlatMap(point_stats("filtered")))
    docs = apply_stages(docs, "sample", config, collect, stages)

    for stage in stages_of("inject", stages):
        if stage.enabled(config):
            injected = docs | f"Stage[{stage.name}]" >> stage.build(config)
            stats.append(injected["stats"])
            docs = injected["kept"]
            _ = (
                injected["manifest"]
                | f"Collect[{stage.name}]Manifest" >> beam.combiners.ToList()
                | f"Write[{stage.name}]Manifest" >> beam.Map(
                    write_canary_manifest(canary_manifest_path(config, layout)))
            )
    stats.append(docs | "MeasureFinal" >> beam.FlatMap(point_stats("final")))

    all_dropped = collect.dropped | "AllDropped" >> beam.Flatten()
    stats.append(all_dropped | "DroppedStats" >> beam.FlatMap(dropped_stats))

    entries = docs | "Shards" >> WriteShards(config, layout.shards)
    _ = (
        entries
        | "CollectShards" >> beam.combiners.ToList()
        | "SortShards" >> beam.Map(sorted_entries)
        | "WriteShardList" >> beam.Map(write_json(layout.shards_file))
    )
    _ = rejected | "Rejected" >> WriteRejected(config, layout.rejected)
    if collect.examples:
        _ = (
            collect.examples
            | "AllExamples" >> beam.Flatten()
            | "CollectExamples" >> beam.combiners.ToList()
            | "WriteExamples" >> beam.Map(write_examples(layout.path("dropped", "examples.jsonl")))
        )
    _ = (
        stats
        | "AllStats" >> beam.Flatten()
        | "SumStats" >> beam.CombinePerKey(sum)
        | "CollectStats" >> beam.combiners.ToList()
        | "SortStats" >> beam.Map(sorted_stats)
        | "WriteStats" >> beam.Map(write_json(layout.stats_file))
    )
