"""What a run writes, and where: the output layout, shards, rejected records, dropped
examples, the canary manifest, and the run's stats and shard list (in ``_run/``, read
by the launcher after the job to write manifest.json and the report)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import apache_beam as beam

from pipeline.config import Config
from pipeline.hashing import keyed_hash64
from pipeline import files as fs
from pipeline.io.shards import encode_shard, shard_entry, shard_name, shard_of
from pipeline.mixture.sampling import original_id, spread_copies
from pipeline.stages.base import count
from pipeline.stages.canaries_core import manifest_jsonl
from pipeline.stages.pii import scrub_snippet as _scrub

WORK_DIR = "_run"
REJECTED_SHARDS = 4
SNIPPET_CHARS = 200


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


def scrub_snippet(text: str, max_chars: int | None = SNIPPET_CHARS) -> str:
    """The first ``max_chars`` characters of a raw record written to rejected/ or dropped/,
    default PII entities replaced by placeholders (scrubbed before the cut, so a value
    that straddles the limit is seen whole)."""
    return _scrub(text, max_chars=max_chars)


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


def write_json(path: str):
    def write(value):
        fs.write_bytes(path, json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False).encode("utf-8"))
        return path

    return write


def write_examples(path: str):
    """Dropped examples (reason, id, text) as sorted JSONL; PII replaced by placeholders,
    since they are taken before the PII stage."""

    def write(items: list) -> str:
        lines = [json.dumps({"reason": reason, "id": doc_id, "text": scrub_snippet(text, max_chars=None)},
                            ensure_ascii=False, sort_keys=True) + "\n"
                 for reason, doc_id, text in sorted(items)]
        fs.write_bytes(path, "".join(lines).encode("utf-8"))
        return path

    return write


def canary_manifest_path(config: Config, layout: RunLayout) -> str:
    path = config.canaries.manifest
    if "://" in path or os.path.isabs(path):
        return path
    return layout.path(*path.split("/"))


def write_canary_manifest(path: str):
    def write(entries: list) -> str:
        fs.make_dirs(path.rsplit("/", 1)[0])
        fs.write_bytes(path, manifest_jsonl(entries))  # sorted by id, one object per line
        return path

    return write


def sorted_stats(items: list) -> dict:
    return {k: v for k, v in sorted(items)}


def sorted_entries(entries: list) -> list:
    return sorted(entries, key=lambda e: e["file"])
