"""Decontamination stage (Beam): n-gram overlap of documents with evaluation sets.

The evaluation files are read and the index built **on the launcher**, when the graph is
built; the index is written to ``OUTPUT/_run/decontamination-index.npz`` and every worker
loads it once in ``DoFn.setup`` (through Beam's FileSystems, so gs:// and s3:// outputs
work on remote runners). Nothing large is pickled with the graph. Each document is then
decided on its own (pipeline/stages/decontamination_core.py); the audit records go to
``OUTPUT/decontamination/matches.jsonl`` (sorted, no document text) and their summary
per evaluation file, item and language to ``OUTPUT/decontamination/summary.json``.
"""

from __future__ import annotations

import gzip
import io
import json
import os

import apache_beam as beam
from apache_beam import pvalue

from pipeline import files as fs
from pipeline.config.decontamination import DecontaminationConfig
from pipeline.config.mixture import TokenizerConfig
from pipeline.mixture.tokens import make_counter
from pipeline.records import Doc
from pipeline.stages.base import DROPPED, STATS, count
from pipeline.stages.decontamination_core import STAGE, EvalIndex, EvalItem, Matcher, build_index, summarize_matches
from pipeline.stats import DecontaminationIndex

MATCHES = "matches"
INDEX_FILE = "decontamination-index.npz"


class EvalFileError(ValueError):
    """An evaluation file that cannot be read: the run stops before it starts."""


def _format_of(path: str, declared: str | None) -> str:
    if declared:
        return declared
    name = path.lower().removesuffix(".gz")
    for ext, fmt in ((".jsonl", "jsonl"), (".json", "jsonl"), (".parquet", "parquet"), (".txt", "text")):
        if name.endswith(ext):
            return fmt
    raise EvalFileError(f"{path}: cannot tell the format of the evaluation file from its name; set format")


def _field_texts(row: dict, fields: list[str]) -> list[str]:
    texts = []
    for name in fields:
        value = row.get(name)
        values = value if isinstance(value, (list, tuple)) else [value]
        texts += [str(v) for v in values if v is not None and str(v).strip()]
    return texts


def read_eval_file(source) -> list[EvalItem]:
    """The items of one evaluation file (``source``: an EvalSourceConfig)."""

    path = fs.normalize_path(source.path)
    name = source.name or os.path.basename(path.rstrip("/"))
    raw = fs.read_bytes(path)
    if path.lower().endswith(".gz"):
        raw = gzip.decompress(raw)
    fmt = _format_of(path, source.format)
    items: list[EvalItem] = []
    if fmt != "parquet":
        try:
            lines = raw.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise EvalFileError(f"{path}: the evaluation file is not UTF-8 text") from None
    if fmt == "text":
        for number, line in enumerate(lines, 1):
            if line.strip():
                items.append(EvalItem(name, str(number), [line]))
        return items
    if fmt == "parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(io.BytesIO(raw)).to_pylist()
    else:
        rows = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalFileError(f"{path}:{number}: not a JSON object: {exc}") from None
            if not isinstance(row, dict):
                raise EvalFileError(f"{path}:{number}: not a JSON object")
            rows.append(row)
    for number, row in enumerate(rows, 1):
        missing = [f for f in source.fields if f not in row]
        if len(missing) == len(source.fields):
            raise EvalFileError(f"{path}: item {number} has none of the fields {source.fields}")
        item_id = str(row[source.id_field]) if source.id_field and row.get(source.id_field) is not None else str(number)
        items.append(EvalItem(name, item_id, _field_texts(row, source.fields)))
    return items


def load_index(settings) -> EvalIndex:
    """Reads every evaluation and stop-phrase file and builds the index (launcher side)."""

    items: list[EvalItem] = []
    for source in settings.sources:
        items += read_eval_file(source)
    stop: list[str] = []
    for path in settings.stop_ngram_files:
        stop += [line for line in fs.read_bytes(fs.normalize_path(path)).decode("utf-8").splitlines() if line.strip()]
    return build_index(items, settings.n, settings.max_items_per_ngram, stop, settings.n_chars)


class DecontaminateFn(beam.DoFn):
    def __init__(self, settings, index_path: str, tokenizer_config):
        self._settings = settings
        self._index_path = index_path
        self._tokenizer_config = tokenizer_config

    def setup(self):
        s = self._settings
        counter = make_counter(self._tokenizer_config)
        index = EvalIndex.from_bytes(fs.read_bytes(self._index_path))
        self._match = Matcher(index, s.action, s.min_ngrams, s.min_fraction, s.margin, s.placeholder,
                              recount=counter.count)
        self._kept = count(STAGE, "kept")
        self._dropped = count(STAGE, "dropped")
        self._flagged = count(STAGE, "flagged")

    def process(self, doc: Doc):
        result, stats, audit = self._match(doc)
        if audit:
            self._flagged.inc()
        for item in stats:
            yield pvalue.TaggedOutput(STATS, item)
        for record in audit:
            yield pvalue.TaggedOutput(MATCHES, record)
        if isinstance(result, Doc):
            self._kept.inc()
            yield result
        else:
            self._dropped.inc()
            yield pvalue.TaggedOutput(DROPPED, result)


def _audit_line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def _write_audit(directory: str):
    def write(records: list) -> str:
        records = sorted(records, key=lambda r: (r["doc_id"], r["file"], r["item"]))
        fs.make_dirs(directory)
        fs.write_bytes(fs.join(directory, "matches.jsonl"), "".join(map(_audit_line, records)).encode("utf-8"))
        summary = summarize_matches(records)
        fs.write_bytes(fs.join(directory, "summary.json"),
                       json.dumps(summary, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        return directory

    return write


class Decontaminate(beam.PTransform):
    """Builds the index on the launcher (now) and decides every document on the workers."""

    def __init__(self, section: DecontaminationConfig, *, output_dir: str, tokenizer: TokenizerConfig | None = None):
        """``section``: the ``decontamination`` section; the index and the audit go below
        ``output_dir``; ``tokenizer`` (``mixture.tokenizer``) counts masked tokens."""
        super().__init__()

        self._settings = section
        root = fs.normalize_path(output_dir)
        self._index_path = fs.join(root, "_run", INDEX_FILE)
        self._audit_dir = fs.join(root, "decontamination")
        self._tokenizer_config = tokenizer
        index = load_index(self._settings)
        fs.make_dirs(fs.join(root, "_run"))
        fs.write_bytes(self._index_path, index.to_bytes())
        self._index_stats = {**index.stats, "index_bytes": index.nbytes}

    def expand(self, docs):
        outputs = docs | "Decontaminate" >> beam.ParDo(
            DecontaminateFn(self._settings, self._index_path, self._tokenizer_config)
        ).with_outputs(DROPPED, STATS, MATCHES, main="kept")
        _ = (
            outputs[MATCHES]
            | "CollectMatches" >> beam.combiners.ToList()
            | "WriteMatches" >> beam.Map(_write_audit(self._audit_dir))
        )
        index_stats = docs.pipeline | "IndexStats" >> beam.Create(
            sorted((DecontaminationIndex(k).key, int(v)) for k, v in self._index_stats.items()))
        stats = (outputs[STATS], index_stats) | "DecontaminationStats" >> beam.Flatten()
        return {"kept": outputs.kept, "dropped": outputs[DROPPED], "stats": stats}
