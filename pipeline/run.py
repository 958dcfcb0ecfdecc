"""Builds the Beam graph from a validated Config and runs it: the only place that wires stages.

    read ─► unique ids ─► normalize ─► language ID ─► token count ─► url ─► decontamination ─► quality ─► dedup ─► PII
         ─► (+ parallel data) ─► control tokens ─► mixture sampling ─► canaries ─► shards          (+ rejected/, stats for the report)

Every stage returns {"kept", "dropped", "stats"} (see pipeline/stages/base.py). Dropped
documents and rejected records are counted into one stats table, so the launcher can
check after the run that every record read is accounted for exactly once.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline import __version__
from pipeline.config import Config
from pipeline.hashing import keyed_hash64
from pipeline.io import files as fs
from pipeline.io.readers import InputFile, document_inputs, read_file
from pipeline.io.shards import encode_shard, shard_entry, shard_name, shard_of
from pipeline.records import Doc, Dropped, Rejected
from pipeline.stages.base import count
from pipeline.stats import IdsRenamed, ReadFigure, RejectedFigure, dropped_figures, point_figures

LOCAL_RUNNER = "apache_beam.runners.portability.fn_api_runner.FnApiRunner"
REJECTED = "rejected"
WORK_DIR = "_run"
REJECTED_SHARDS = 4


class AccountingError(RuntimeError):
    """The run's record counts do not balance: something was lost or counted twice."""


# ---------------------------------------------------------------------------- reading


class ReadFileFn(beam.DoFn):
    """Reads one input file; Docs on the main output, Rejected on the 'rejected' output.

    With ``progress_seconds`` > 0 it prints, at most that often, how far this worker has
    read (stderr; on Dataflow/Flink that is the worker log). The local runner gives the
    launcher no metrics until the end, so this is how a long local run shows progress.
    """

    def __init__(self, config: Config, progress_seconds: float = 0.0, total_files: int = 0):
        self._sources = config.sources
        self._progress_seconds = progress_seconds
        self._total_files = total_files

    def setup(self):
        self._read = count("read", "records")
        self._rejected = count("read", "rejected")
        self._files_done = 0
        self._records_done = 0
        self._last_report = time.monotonic()

    def process(self, file: InputFile):
        source = self._sources[file.source_index]
        for record in read_file(source, file):
            self._read.inc()
            self._records_done += 1
            if isinstance(record, Rejected):
                self._rejected.inc()
                yield pvalue.TaggedOutput(REJECTED, record)
            else:
                yield record
        self._files_done += 1
        self._maybe_report()

    def _maybe_report(self):
        if self._progress_seconds <= 0:
            return
        now = time.monotonic()
        if now - self._last_report >= self._progress_seconds:
            self._last_report = now
            print(f"progress: this worker has read {self._files_done:,} of {self._total_files:,} files, "
                  f"{self._records_done:,} records", file=sys.stderr, flush=True)


class ReadSources(beam.PTransform):
    """All document sources -> {"docs": PCollection[Doc], "rejected": PCollection[Rejected]}."""

    def __init__(self, config: Config, inputs: list[InputFile], progress_seconds: float = 0.0):
        super().__init__()
        self._config = config
        self._inputs = inputs
        self._progress_seconds = progress_seconds

    def expand(self, pbegin):
        outputs = (
            pbegin
            | "ListFiles" >> beam.Create(self._inputs)
            | "SpreadFiles" >> beam.Reshuffle()
            | "ReadFiles" >> beam.ParDo(ReadFileFn(self._config, self._progress_seconds, len(self._inputs)))
            .with_outputs(REJECTED, main="docs")
        )
        return {"docs": outputs.docs, "rejected": outputs[REJECTED]}


def _normalize(doc: Doc):
    from pipeline.text.normalize import normalize_text

    text = normalize_text(doc.text)
    if not text.strip():
        return Dropped(doc, "normalize:empty_after_cleanup")
    return doc if text == doc.text else doc.with_(text=text)


def rename_duplicate_ids(doc_id: str, docs: list[Doc]) -> list[Doc]:
    """Documents that share an id: the first (by source, file, line, text) keeps it, the
    others become ``{id}#dup{k}`` with ``metadata["original_id"]``, so that every later
    stage (dedup representatives, shard order, mixture copies) sees unique ids."""
    if len(docs) == 1:
        return docs
    from pipeline.hashing import stable_digest

    def order(d: Doc):
        m = d.metadata
        return (d.source, str(m.get("input_file", "")), int(m.get("input_line") or 0), stable_digest(d.text))

    ordered = sorted(docs, key=order)
    out = [ordered[0]]
    for k, d in enumerate(ordered[1:], 1):
        out.append(d.with_(id=f"{doc_id}#dup{k}").with_metadata(original_id=doc_id))
    return out


class UniqueIds(beam.PTransform):
    """Makes document ids unique (input data often repeats them); counts the renames."""

    def expand(self, docs):
        renamed = (
            docs
            | "KeyById" >> beam.Map(lambda d: (d.id, d))
            | "GroupById" >> beam.GroupByKey()
            | "Rename" >> beam.FlatMap(lambda kv: rename_duplicate_ids(kv[0], list(kv[1])))
        )
        stats = renamed | "RenameStats" >> beam.FlatMap(
            lambda d: [(IdsRenamed(d.source).key, 1)] if "original_id" in d.metadata else [])
        return {"kept": renamed, "stats": stats}


class Normalize(beam.PTransform):
    """NFC, control characters, whitespace (pipeline/text/normalize.py); empty results dropped."""

    def expand(self, docs):
        from pipeline.stages.base import apply_filter

        return apply_filter(docs, "NormalizeText", "normalize", lambda: _normalize)


# ---------------------------------------------------------------------------- stages


@dataclass
class StageSpec:
    name: str
    enabled: Callable[[Config], bool]
    build: Callable[[Config], beam.PTransform]


def _langid(config: Config) -> beam.PTransform:
    from pipeline.stages.langid import LanguageId

    return LanguageId(config)


def _tokens(config: Config) -> beam.PTransform:
    from pipeline.mixture.transform import CountTokens

    return CountTokens(config)


def _url_filter(config: Config) -> beam.PTransform:
    from pipeline.stages.url_filter import UrlFilter

    return UrlFilter(config.url_filter)


def _decontamination(config: Config) -> beam.PTransform:
    from pipeline.stages.decontamination import Decontaminate

    return Decontaminate(config)


def _quality(config: Config) -> beam.PTransform:
    from pipeline.stages.quality import QualityFilter

    return QualityFilter(config)


def _dedup(config: Config) -> beam.PTransform:
    from pipeline.stages.dedup import Deduplicate

    return Deduplicate(config)


def _control_tokens(config: Config) -> beam.PTransform:
    from pipeline.stages.control_tokens import ControlTokens

    return ControlTokens(config)


def _canaries(config: Config) -> beam.PTransform:
    from pipeline.stages.canaries import InjectCanaries

    return InjectCanaries(config)


def _canary_manifest_path(config: Config, layout: RunLayout) -> str:
    path = config.canaries.manifest
    if "://" in path or os.path.isabs(path):
        return path
    return layout.path(*path.split("/"))


def _write_canary_manifest(path: str):
    def write(entries: list) -> str:
        from pipeline.stages.canaries import manifest_jsonl  # sorted by id, one object per line

        fs.make_dirs(path.rsplit("/", 1)[0])
        fs.write_bytes(path, manifest_jsonl(entries))
        return path

    return write


def _mixture(config: Config) -> beam.PTransform:
    from pipeline.mixture.transform import MixtureSample

    return MixtureSample(config)


def _pii(config: Config) -> beam.PTransform:
    from pipeline.stages.pii import PiiScrub

    return PiiScrub(config)


# Stages before the first measuring point ("input") only label documents; filter stages
# after it remove documents. Modules are imported only when their stage is enabled.
LABEL_STAGES: list[StageSpec] = [
    StageSpec("langid", lambda c: c.langid.enabled, _langid),
    StageSpec("tokens", lambda c: True, _tokens),
]
FILTER_STAGES: list[StageSpec] = [
    StageSpec("url", lambda c: c.url_filter.enabled, _url_filter),
    StageSpec("decontamination", lambda c: c.decontamination.enabled, _decontamination),
    StageSpec("quality", lambda c: c.quality.enabled, _quality),
    StageSpec("dedup", lambda c: c.dedup.enabled, _dedup),
    StageSpec("pii", lambda c: c.pii.enabled, _pii),
]
# Parallel data joins here (it has its own language ID, filters, dedup and PII); then
# stages that annotate every document, parallel examples included.
MARK_STAGES: list[StageSpec] = [
    # marks a fraction of documents, removes none
    StageSpec("control_tokens", lambda c: c.control_tokens.enabled, _control_tokens),
]


def _apply_stage(docs, spec: StageSpec, config: Config, dropped: list, stats: list, examples: list):
    result = docs | f"Stage[{spec.name}]" >> spec.build(config)
    if "dropped" in result:
        dropped.append(result["dropped"])
    if "stats" in result:
        stats.append(result["stats"])
    if "examples" in result:
        examples.append(result["examples"])
    return result["kept"]


# ---------------------------------------------------------------------------- measuring


def point_stats(point: str):
    """Per (source, language): documents, tokens, characters and bytes at a measuring point."""

    def measure(doc: Doc):
        return point_figures(point, doc)

    return measure


def dropped_stats(dropped: Dropped):
    return dropped_figures(dropped.reason, dropped.doc)


def rejected_stats(rejected: Rejected):
    reason = rejected.reason.split(":", 1)[0]
    yield RejectedFigure(rejected.source, reason).key, 1


def read_stats(record):
    yield ReadFigure(record.source).key, 1


# ---------------------------------------------------------------------------- writing


class WriteShardFn(beam.DoFn):
    """Writes one shard (all its documents arrive grouped) and emits its manifest entry."""

    def __init__(self, shards_dir: str, count_: int, fmt: str, compression: str, seed: int):
        self._dir = shards_dir
        self._count = count_
        self._fmt = fmt
        self._compression = compression
        self._seed = seed

    def process(self, element):
        index, docs = element
        docs = [d for d in docs if d is not None]
        data, ordered = encode_shard(docs, self._seed, self._fmt, self._compression)
        name = shard_name(index, self._count, self._fmt)
        fs.write_bytes(fs.join(self._dir, name), data)
        count("write", "documents").inc(len(ordered))
        yield shard_entry(name, data, ordered)


class WriteShards(beam.PTransform):
    """Documents -> N shard files (empty shards too); returns the manifest entries."""

    def __init__(self, config: Config, shards_dir: str):
        super().__init__()
        self._config = config
        self._dir = shards_dir

    def expand(self, docs):
        shards = self._config.mixture.shards
        n, seed = shards.count, self._config.seed
        from pipeline.mixture.sampling import original_id, spread_copies

        # copies of a repeated document land in consecutive shards, never in the same one
        keyed = docs | "KeyByShard" >> beam.Map(
            lambda d: (spread_copies(shard_of(seed, original_id(d), n), d, n), d))
        every_shard = docs.pipeline | "AllShards" >> beam.Create([(i, None) for i in range(n)])
        return (
            (keyed, every_shard)
            | "WithEmptyShards" >> beam.Flatten()
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShard" >> beam.ParDo(WriteShardFn(self._dir, n, shards.format, shards.compression, seed))
        )


class WriteRejectedFn(beam.DoFn):
    def __init__(self, directory: str, count_: int):
        self._dir = directory
        self._count = count_

    def process(self, element):
        from pipeline.io.snippets import scrub_snippet

        index, records = element
        records = sorted((r for r in records if r is not None), key=lambda r: r.sort_key())
        body = "".join(
            json.dumps({**r.to_json_dict(), "snippet": scrub_snippet(r.snippet)}, ensure_ascii=False, sort_keys=True)
            + "\n"
            for r in records
        )
        fs.write_bytes(fs.join(self._dir, f"rejected-{index:05d}-of-{self._count:05d}.jsonl"), body.encode("utf-8"))
        yield len(records)


class WriteRejected(beam.PTransform):
    def __init__(self, config: Config, directory: str):
        super().__init__()
        self._seed = config.seed
        self._dir = directory

    def expand(self, rejected):
        n, seed = REJECTED_SHARDS, self._seed
        keyed = rejected | "KeyRejected" >> beam.Map(
            lambda r: (keyed_hash64(seed, "rejected", f"{r.source}\x00{r.file}\x00{r.line}") % n, r)
        )
        every = rejected.pipeline | "AllRejectedShards" >> beam.Create([(i, None) for i in range(n)])
        return (
            (keyed, every)
            | "RejectedWithEmpty" >> beam.Flatten()
            | "GroupRejected" >> beam.GroupByKey()
            | "WriteRejectedFile" >> beam.ParDo(WriteRejectedFn(self._dir, n))
        )


def _write_json(path: str):
    def write(value):
        fs.write_bytes(path, json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False).encode("utf-8"))
        return path

    return write


def _write_examples(path: str):
    """Dropped examples (reason, id, text) as sorted JSONL; PII replaced by placeholders,
    since they are taken before the PII stage."""

    def write(items: list) -> str:
        from pipeline.io.snippets import scrub_snippet

        lines = [json.dumps({"reason": reason, "id": doc_id, "text": scrub_snippet(text, max_chars=None)},
                            ensure_ascii=False, sort_keys=True) + "\n"
                 for reason, doc_id, text in sorted(items)]
        fs.write_bytes(path, "".join(lines).encode("utf-8"))
        return path

    return write


def _sorted_stats(items: list) -> dict:
    return {k: v for k, v in sorted(items)}


def _sorted_entries(entries: list) -> list:
    return sorted(entries, key=lambda e: e["file"])


# ---------------------------------------------------------------------------- the graph


@dataclass
class RunLayout:
    """Where a run writes: everything below ``root``, through FileSystems."""

    root: str

    def path(self, *parts: str) -> str:
        return fs.join(self.root, *parts)

    @property
    def shards(self) -> str:
        return self.path("shards")

    @property
    def rejected(self) -> str:
        return self.path("rejected")

    @property
    def work(self) -> str:
        return self.path(WORK_DIR)

    @property
    def stats_file(self) -> str:
        return self.path(WORK_DIR, "stats.json")

    @property
    def config_file(self) -> str:
        return self.path(WORK_DIR, "config.json")

    @property
    def shards_file(self) -> str:
        return self.path(WORK_DIR, "shards.json")


def build_graph(p: beam.Pipeline, config: Config, inputs: list[InputFile], layout: RunLayout,
                progress_seconds: float = 0.0, parallel_inputs: list[InputFile] | None = None) -> None:
    stats: list = []
    dropped: list = []
    examples: list = []

    read = p | "Read" >> ReadSources(config, inputs, progress_seconds)
    docs, rejected = read["docs"], read["rejected"]
    parallel = None
    if config.parallel.enabled and parallel_inputs:
        from pipeline.stages.parallel import ParallelSources

        parallel = p | "Parallel" >> ParallelSources(config, parallel_inputs)
        rejected = (rejected, parallel["rejected"]) | "AllRejected" >> beam.Flatten()
        stats.append(parallel["docs"] | "ReadStatsParallelDocs" >> beam.FlatMap(read_stats))
        stats.append(parallel["dropped"] | "ReadStatsParallelDropped" >> beam.FlatMap(lambda d: read_stats(d.doc)))
        stats.append(parallel["stats"])
        dropped.append(parallel["dropped"])
    stats.append(docs | "ReadStatsDocs" >> beam.FlatMap(read_stats))
    stats.append(rejected | "ReadStatsRejected" >> beam.FlatMap(read_stats))
    stats.append(rejected | "RejectedStats" >> beam.FlatMap(rejected_stats))

    unique = docs | "UniqueIds" >> UniqueIds()
    stats.append(unique["stats"])
    normalized = unique["kept"] | "Normalize" >> Normalize()
    dropped.append(normalized["dropped"])
    docs = normalized["kept"]

    for spec in LABEL_STAGES:
        if spec.enabled(config):
            docs = _apply_stage(docs, spec, config, dropped, stats, examples)
    stats.append(docs | "MeasureInput" >> beam.FlatMap(point_stats("input")))

    for spec in FILTER_STAGES:
        if spec.enabled(config):
            docs = _apply_stage(docs, spec, config, dropped, stats, examples)
    if parallel is not None:
        docs = (docs, parallel["docs"]) | "WithParallel" >> beam.Flatten()
    for spec in MARK_STAGES:
        if spec.enabled(config):
            docs = _apply_stage(docs, spec, config, dropped, stats, examples)
    stats.append(docs | "MeasureFiltered" >> beam.FlatMap(point_stats("filtered")))

    mixture = docs | "Mixture" >> _mixture(config)
    dropped.append(mixture["dropped"])
    stats.append(mixture["stats"])
    final = mixture["kept"]
    if config.canaries.enabled:
        canaries = final | "Canaries" >> _canaries(config)
        stats.append(canaries["stats"])
        final = canaries["kept"]
        _ = (
            canaries["manifest"]
            | "CollectCanaries" >> beam.combiners.ToList()
            | "WriteCanaryManifest" >> beam.Map(_write_canary_manifest(_canary_manifest_path(config, layout)))
        )
    stats.append(final | "MeasureFinal" >> beam.FlatMap(point_stats("final")))

    all_dropped = dropped | "AllDropped" >> beam.Flatten()
    stats.append(all_dropped | "DroppedStats" >> beam.FlatMap(dropped_stats))

    entries = final | "Shards" >> WriteShards(config, layout.shards)
    _ = (
        entries
        | "CollectShards" >> beam.combiners.ToList()
        | "SortShards" >> beam.Map(_sorted_entries)
        | "WriteShardList" >> beam.Map(_write_json(layout.shards_file))
    )
    _ = rejected | "Rejected" >> WriteRejected(config, layout.rejected)
    if examples:
        _ = (
            examples
            | "AllExamples" >> beam.Flatten()
            | "CollectExamples" >> beam.combiners.ToList()
            | "WriteExamples" >> beam.Map(_write_examples(layout.path("dropped", "examples.jsonl")))
        )
    _ = (
        stats
        | "AllStats" >> beam.Flatten()
        | "SumStats" >> beam.CombinePerKey(sum)
        | "CollectStats" >> beam.combiners.ToList()
        | "SortStats" >> beam.Map(_sorted_stats)
        | "WriteStats" >> beam.Map(_write_json(layout.stats_file))
    )


# ---------------------------------------------------------------------------- launching


@dataclass
class RunSummary:
    output: str
    accounting: dict[str, Any]
    manifest: dict[str, Any]
    seconds: float
    report: dict[str, Any] = field(default_factory=dict)


LOCAL_RUNNER_NAMES = ("DirectRunner", "FnApiRunner", "direct", "BundleBasedDirectRunner", "SwitchingDirectRunner")


def pipeline_options(beam_args: list[str]) -> tuple[PipelineOptions, str]:
    """Beam options from pass-through flags, and the runner to use.

    Local runs use the FnApiRunner, named explicitly: the plain DirectRunner of recent
    Beam releases may try to download a Prism binary, which must never happen.
    """
    args: list[str] = []
    runner = None
    i = 0
    while i < len(beam_args):
        arg = beam_args[i]
        if arg == "--runner" and i + 1 < len(beam_args):
            runner = beam_args[i + 1]
            i += 2
            continue
        if arg.startswith("--runner="):
            runner = arg.split("=", 1)[1]
        else:
            args.append(arg)
        i += 1
    if runner is None or runner in LOCAL_RUNNER_NAMES:
        runner = LOCAL_RUNNER
    return PipelineOptions(args), runner


def prepare_output(output: str, overwrite: bool) -> RunLayout:
    layout = RunLayout(fs.normalize_path(output))
    existing = fs.list_dir(layout.root)  # [] when missing; object stores have no directory to test
    if existing:
        if not overwrite:
            raise FileExistsError(
                f"output directory '{output}' is not empty; pass --overwrite to replace it"
            )
        for sub in ("shards", "rejected", "report", "dropped", WORK_DIR, "manifest.json", "canaries", "dedup",
                    "decontamination"):
            fs.delete_tree(layout.path(sub))
    for sub in ("", "shards", "rejected", "dropped", WORK_DIR):
        fs.make_dirs(layout.path(sub) if sub else layout.root)
    return layout


def run(config: Config, beam_args: list[str] | None = None, *, overwrite: bool = False,
        log: Callable[[str], None] = print, progress_seconds: float = 0.0) -> RunSummary:
    started = time.time()
    options, runner = pipeline_options(beam_args or [])
    # s3:// and hdfs:// need their options (--s3_*, --hdfs_*) on the launcher too, before
    # beam.Pipeline() would set them: the output and the inputs are touched first.
    FileSystems.set_options(options)
    layout = prepare_output(config.output_dir, overwrite)
    # saved first, so that `mixture report` can finish the run if this launcher dies
    # while a remote job goes on (manifest and report are written here, after the job)
    fs.write_bytes(layout.config_file, config.canonical_json().encode("utf-8"))
    inputs = document_inputs(config, fs.expand_patterns)
    log(f"mixture run: {config.name} — {len(inputs)} input files, seed {config.seed}, output {layout.root}")
    p = beam.Pipeline(runner=runner, options=options)
    from pipeline.io.bitext import plan_parallel_inputs

    parallel_inputs = plan_parallel_inputs(config, fs.expand_patterns) if config.parallel.enabled else []
    build_graph(p, config, inputs, layout, progress_seconds, parallel_inputs)
    from pipeline.report.console import watch_progress

    result = p.run()
    counters = watch_progress(result, log)  # a live line where the runner reports counters
    accounting, manifest, report = finish_run(config, layout)
    from pipeline.report.build import write_runtime

    elapsed = time.time() - started
    write_runtime(layout.root, elapsed, counters)
    return RunSummary(layout.root, accounting, manifest, elapsed, report)


def finish_run(config: Config, layout: RunLayout) -> tuple[dict, dict, dict]:
    """After the job: check the accounting, write manifest.json and report/ (launcher side)."""
    from pipeline.io.manifest import build_manifest
    from pipeline.report.build import write_report

    stats = json.loads(fs.read_bytes(layout.stats_file))
    entries = json.loads(fs.read_bytes(layout.shards_file))
    from pipeline.report.figures import accounting as accounting_of

    accounting = accounting_of(stats)
    if not accounting["balanced"]:
        from pipeline.report.figures import accounting_line, imbalance

        raise AccountingError(f"records do not balance: {'; '.join(imbalance(accounting))}. "
                              f"{accounting_line(accounting)}")
    shard_docs = sum(e["documents"] for e in entries)
    if shard_docs != accounting["written"]:
        raise AccountingError(f"shards hold {shard_docs} documents but {accounting['written']} were counted")
    manifest = build_manifest(config, entries, accounting)
    fs.write_bytes(layout.path("manifest.json"),
                   json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    report = write_report(layout.root, config, stats, accounting, manifest)
    return accounting, manifest, report


def finish_interrupted_run(output: str) -> RunLayout:
    """Writes manifest.json and report/ of a run whose job finished but whose launcher
    stopped before doing so, from OUTPUT/_run/ (config, stats, shard list)."""
    layout = RunLayout(fs.normalize_path(output))
    missing = [p for p in (layout.config_file, layout.stats_file, layout.shards_file) if not fs.exists(p)]
    if missing:
        raise FileNotFoundError(f"{output}: no report/report.json, and no {missing[0]} to rebuild it from "
                                "(is it the output of a finished run?)")
    config = Config.model_validate(json.loads(fs.read_bytes(layout.config_file)))
    finish_run(config, layout)
    return layout


def versions() -> dict[str, str]:
    import platform

    import pyarrow

    return {
        "mixture-pipeline": __version__,
        "apache-beam": beam.__version__,
        "pyarrow": pyarrow.__version__,
        "python": platform.python_version(),
    }
