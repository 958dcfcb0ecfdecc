"""Deterministic shard files.

Shard of a document = keyed hash (seed, "shard", id) mod N; inside a shard, documents
are ordered by a second keyed hash, so that the concatenation of shards is a global
shuffle and the bytes of every file depend only on config, seed and input — not on
the runner, the number of workers or the order in which bundles arrive.
"""

from __future__ import annotations

import gzip
import io
import json
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.hashing import keyed_hash64, sha256_bytes, stable_digest
from pipeline.records import Doc

SHARD_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("source", pa.string()),
        ("lang", pa.string()),
        ("lang_score", pa.float64()),
        ("script", pa.string()),
        ("tokens", pa.int64()),
        ("metadata", pa.string()),  # JSON object, keys sorted
    ]
)

EXTENSIONS = {"parquet": ".parquet", "jsonl.gz": ".jsonl.gz"}


def shard_of(seed: int, doc_id: str, count: int) -> int:
    return keyed_hash64(seed, "shard", doc_id) % count


def order_key(seed: int, doc: Doc) -> tuple:
    """Total order inside a shard: a keyed hash, then id and text digest to break ties."""
    return (keyed_hash64(seed, "order", doc.id), doc.id, stable_digest(doc.text, length=8))


def shard_name(index: int, count: int, fmt: str) -> str:
    return f"part-{index:05d}-of-{count:05d}{EXTENSIONS[fmt]}"


def _row(doc: Doc) -> dict:
    return {
        "id": doc.id,
        "text": doc.text,
        "source": doc.source,
        "lang": doc.lang,
        "lang_score": float(doc.lang_score),
        "script": doc.script,
        "tokens": int(doc.tokens),
        "metadata": json.dumps(doc.metadata, sort_keys=True, ensure_ascii=False),
    }


def encode_parquet(docs: list[Doc], compression: str = "zstd", row_group_rows: int = 10_000) -> bytes:
    table = pa.Table.from_pylist([_row(d) for d in docs], schema=SHARD_SCHEMA)
    sink = io.BytesIO()
    pq.write_table(
        table,
        sink,
        compression=None if compression == "none" else compression,
        row_group_size=row_group_rows,
        write_statistics=True,
        use_dictionary=["source", "lang", "script"],
    )
    return sink.getvalue()


def encode_jsonl_gz(docs: list[Doc]) -> bytes:
    body = "".join(json.dumps(_row(d), ensure_ascii=False, sort_keys=True) + "\n" for d in docs)
    sink = io.BytesIO()
    # mtime=0 and no file name in the header: identical bytes on every run
    with gzip.GzipFile(fileobj=sink, mode="wb", mtime=0, filename="") as gz:
        gz.write(body.encode("utf-8"))
    return sink.getvalue()


def encode_shard(docs: Iterable[Doc], seed: int, fmt: str, compression: str = "zstd") -> tuple[bytes, list[Doc]]:
    ordered = sorted(docs, key=lambda d: order_key(seed, d))
    data = encode_parquet(ordered, compression) if fmt == "parquet" else encode_jsonl_gz(ordered)
    return data, ordered


def shard_entry(name: str, data: bytes, docs: list[Doc]) -> dict:
    return {
        "file": name,
        "documents": len(docs),
        "tokens": sum(int(d.tokens) for d in docs),
        "bytes": len(data),
        "sha256": sha256_bytes(data),
    }
