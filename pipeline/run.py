"""The launcher of ``mixture run``: runner options, output preparation, running the graph
(:mod:`pipeline.graph`), and finishing: the accounting check, manifest.json and the report.

Nothing else imports this module except the command line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.config import Config
from pipeline.graph.outputs import WORK_DIR, RunLayout
from pipeline.graph.wiring import build_graph
from pipeline import files as fs
from pipeline.io.bitext import plan_parallel_inputs
from pipeline.io.manifest import build_manifest
from pipeline.io.readers import document_inputs
from pipeline.report.build import write_report, write_runtime
from pipeline.report.console import watch_progress
from pipeline.report.figures import accounting as accounting_of
from pipeline.report.figures import accounting_line, imbalance

LOCAL_RUNNER = "apache_beam.runners.portability.fn_api_runner.FnApiRunner"


class AccountingError(RuntimeError):
    """The run's record counts do not balance: something was lost or counted twice."""


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
    parallel_inputs = plan_parallel_inputs(config, fs.expand_patterns) if config.parallel.enabled else []
    build_graph(p, config, inputs, layout, progress_seconds, parallel_inputs)
    result = p.run()
    counters = watch_progress(result, log)  # a live line where the runner reports counters
    accounting, manifest, report = finish_run(config, layout)
    elapsed = time.time() - started
    write_runtime(layout.root, elapsed, counters)
    return RunSummary(layout.root, accounting, manifest, elapsed, report)


def finish_run(config: Config, layout: RunLayout) -> tuple[dict, dict, dict]:
    """After the job: check the accounting, write manifest.json and report/ (launcher side)."""
    stats = json.loads(fs.read_bytes(layout.stats_file))
    entries = json.loads(fs.read_bytes(layout.shards_file))
    accounting = accounting_of(stats)
    if not accounting["balanced"]:
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
