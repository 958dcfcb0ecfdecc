"""The first part of the graph: reading the sources, unique ids and normalisation.

Every record read is counted (``read/<source>``); unreadable records go to the
``rejected`` output with their reason (``rejected/<source>/<reason>``).
"""

from __future__ import annotations

import sys
import time

import apache_beam as beam
from apache_beam import pvalue

from pipeline.config import Config
from pipeline.hashing import stable_digest
from pipeline.io.readers import InputFile, read_file
from pipeline.records import Doc, Dropped, Rejected
from pipeline.stats import IdsRenamed, ReadFigure, RejectedFigure
from pipeline.stages.base import apply_filter, count
from pipeline.text.normalize import normalize_text

REJECTED = "rejected"


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


def read_stats(record):
    yield ReadFigure(record.source).key, 1


def rejected_stats(rejected: Rejected):
    reason = rejected.reason.split(":", 1)[0]
    yield RejectedFigure(rejected.source, reason).key, 1


def _normalize(doc: Doc):
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
        return apply_filter(docs, "NormalizeText", "normalize", lambda: _normalize)
