"""Readers for ``kind: documents`` sources: JSONL (plain, .gz, .zst, ...), Parquet, text;
web crawls (WARC, WET, ARC, HTML) in pipeline/io/warc.py.

The core is :func:`read_file`, a generator of ``Doc`` and ``Rejected`` records for one
file; it never raises on bad data. Every record that cannot be used becomes a
``Rejected`` with the file, the 1-based line (or row) and a reason, so that nothing is
lost silently. Blank JSONL lines are layout, not records: they are skipped.

Reasons: ``invalid_utf8``, ``invalid_json``, ``not_an_object``, ``missing_text``,
``text_not_string``, ``empty_text``, ``invalid_unicode`` (lone surrogates),
``too_large`` (document over ``max_doc_chars``), ``record_too_large`` (raw line over
``max_record_bytes``), ``truncated_file`` (a compressed stream that ends early or is
corrupt: the lines before the damage are kept), ``unreadable_file``,
``missing_text_column``, ``unreadable_row_group``.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import posixpath
from dataclasses import dataclass
from typing import Any, Iterator

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline.config.sources import SourceConfig
from pipeline.hashing import stable_digest
from pipeline.records import Doc, Rejected

# Raw text kept with a rejected record; the writer scrubs PII from it, then keeps the first
# 200 characters (pipeline/graph/outputs.py): scrubbing needs the values whole.
SNIPPET_CHARS = 1000
_CHUNK = 1 << 20


@dataclass(frozen=True)
class InputFile:
    """One file of one source: ``label`` is the path relative to the source's common root,
    so that derived ids do not depend on where the corpus is mounted."""

    source_index: int
    path: str
    label: str
    format: str


def plan_input_files(sources: list[SourceConfig], expand) -> list[InputFile]:
    """All files of all document sources, in a stable order, with their labels."""
    planned = []
    for index, source in enumerate(sources):
        files = expand(source.paths)
        root = _common_dir(files)
        for path in files:
            label = _relative(path, root)
            planned.append(InputFile(index, path, label, source.format_for(path) or "jsonl"))
    return planned


def document_inputs(config, expand) -> list[InputFile]:
    """The files of the ``kind: documents`` sources; ``source_index`` indexes ``config.sources``."""
    return [f for f in plan_input_files(config.sources, expand) if config.sources[f.source_index].kind == "documents"]


def _common_dir(paths: list[str]) -> str:
    if not paths:
        return ""
    dirs = [posixpath.dirname(p.replace(os.sep, "/")) for p in paths]
    common = dirs[0]
    for d in dirs[1:]:
        while common and not (d == common or d.startswith(common.rstrip("/") + "/")):
            common = posixpath.dirname(common.rstrip("/")) if "/" in common.rstrip("/") else ""
    return common


def _relative(path: str, root: str) -> str:
    p = path.replace(os.sep, "/")
    if root and p.startswith(root.rstrip("/") + "/"):
        return p[len(root.rstrip("/")) + 1 :]
    return posixpath.basename(p)


def derived_id(source: str, label: str, line: int | None) -> str:
    """A stable id for a record that has none: from source name, file label and line."""
    return f"{source}-{stable_digest(source, label, str(line or 0), length=10)}"


def snippet_of(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        raw = raw[: SNIPPET_CHARS * 4].decode("utf-8", "replace")
    return raw[:SNIPPET_CHARS]


def _json_safe(value: Any) -> Any:
    """Metadata values as JSON-compatible Python values (Parquet gives dates, bytes, ...)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)


class _RecordBuilder:
    """Turns one parsed mapping into a Doc or a Rejected, applying the field mapping."""

    def __init__(self, source: SourceConfig, file: InputFile):
        self.source = source
        self.file = file

    def reject(self, line: int | None, reason: str, raw: bytes | str = b"") -> Rejected:
        return Rejected(self.source.name, self.file.label, line, reason, snippet_of(raw))

    def build(self, obj: Any, line: int | None, raw: bytes | str) -> Doc | Rejected:
        if not isinstance(obj, dict):
            return self.reject(line, "not_an_object", raw)
        source = self.source
        if source.text_field not in obj or obj[source.text_field] is None:
            return self.reject(line, "missing_text", raw)
        text = obj[source.text_field]
        if not isinstance(text, str):
            return self.reject(line, "text_not_string", raw)
        if not text.strip():
            return self.reject(line, "empty_text", raw)
        if len(text) > source.max_doc_chars:
            return self.reject(line, "too_large", raw)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return self.reject(line, "invalid_unicode", raw)
        doc_id = None
        if source.id_field and source.id_field in obj:
            value = obj[source.id_field]
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                doc_id = str(value)
        if doc_id is None:
            doc_id = derived_id(source.name, self.file.label, line)
        skip = {source.text_field, source.id_field}
        if source.metadata_fields is None:
            keys = sorted(k for k in obj if k not in skip)
        else:
            keys = [k for k in source.metadata_fields if k in obj and k not in skip]
        metadata = {k: _json_safe(obj[k]) for k in keys}
        metadata["input_file"] = self.file.label
        if line is not None:
            metadata["input_line"] = line
        return Doc(id=doc_id, text=text, source=source.name, metadata=metadata)


class TruncatedStream(Exception):
    """A compressed stream that ends before its end-of-stream marker."""


def _decompressor(kind: str):
    import bz2
    import lzma
    import zlib

    import zstandard

    if kind == "gzip":
        return zlib.decompressobj(wbits=31)
    if kind == "zstd":
        return zstandard.ZstdDecompressor(max_window_size=2**31).decompressobj()
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    if kind == "lzma":
        return lzma.LZMADecompressor()
    raise ValueError(kind)


def _compression_of(path: str) -> str | None:
    kind = CompressionTypes.detect_compression_type(path)
    return {CompressionTypes.GZIP: "gzip", CompressionTypes.ZSTD: "zstd",
            CompressionTypes.BZIP2: "bzip2", CompressionTypes.LZMA: "lzma"}.get(kind)


def _chunks(path: str) -> Iterator[bytes]:
    """Decompressed bytes of a file, in chunks; raises TruncatedStream on a cut stream.

    Beam's own decompressing reader ends quietly at a truncated gzip/zstd stream, which
    would lose the rest of the file silently; here every frame/member must be complete.
    """
    kind = _compression_of(path)
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        if kind is None:
            while chunk := handle.read(_CHUNK):
                yield chunk
            return
        decompressor = _decompressor(kind)
        pending = b""
        while True:
            data = pending or handle.read(_CHUNK)
            pending = b""
            if not data:
                break
            out = decompressor.decompress(data)
            if out:
                yield out
            if decompressor.eof:
                rest = decompressor.unused_data
                if not rest:
                    rest = handle.read(_CHUNK)
                    if not rest:
                        return
                decompressor = _decompressor(kind)  # next gzip member / zstd frame
                pending = rest
        if not decompressor.eof:
            raise TruncatedStream(f"{kind} stream ends before its end marker")


def _iter_lines(chunks: Iterator[bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, raw line) pairs; raw is None for a line over ``max_bytes``.

    Works on chunks so that a giant line never sits in memory whole.
    """
    buffer = b""
    line_no = 0
    oversized = False
    for chunk in chunks:
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            if newline < 0:
                if not oversized:
                    buffer += chunk[start:]
                    if len(buffer) > max_bytes:
                        oversized, buffer = True, b""
                break
            line_no += 1
            if oversized:
                yield line_no, None
                oversized = False
            else:
                piece = buffer + chunk[start:newline]
                yield line_no, (None if len(piece) > max_bytes else piece)
            buffer = b""
            start = newline + 1
    if oversized:
        yield line_no + 1, None
    elif buffer:
        yield line_no + 1, buffer


def read_jsonl(source: SourceConfig, file: InputFile) -> Iterator[Doc | Rejected]:
    builder = _RecordBuilder(source, file)
    last_line = 0
    try:
        for line_no, raw in _iter_lines(_chunks(file.path), source.max_record_bytes):
            last_line = line_no
            if raw is None:
                yield builder.reject(line_no, "record_too_large")
                continue
            raw = raw.rstrip(b"\r")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield builder.reject(line_no, "invalid_utf8", raw)
                continue
            try:
                obj = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as exc:
                reason = "invalid_json" if isinstance(exc, json.JSONDecodeError) else "invalid_json: nested too deeply"
                yield builder.reject(line_no, reason, text)
                continue
            yield builder.build(obj, line_no, text)
    except Exception as exc:  # noqa: BLE001
        # A damaged compressed stream, a vanished file, a permission error, a corrupt
        # zstd frame: the lines read so far are kept, the rest of the file is rejected.
        kind = "truncated_file" if last_line or isinstance(exc, TruncatedStream) else "unreadable_file"
        yield builder.reject(last_line + 1 if last_line else None, f"{kind}: {type(exc).__name__}: {exc}"[:300])


def _whole_file(source: SourceConfig, file: InputFile, builder: _RecordBuilder) -> bytes | Rejected:
    """The bytes of a one-document file (decompressed), or why it cannot be read."""
    raw = b""
    try:
        for chunk in _chunks(file.path):
            raw += chunk
            if len(raw) > source.max_record_bytes:
                break
    except Exception as exc:  # noqa: BLE001 - any read failure is a rejected file
        kind = "truncated_file" if isinstance(exc, TruncatedStream) else "unreadable_file"
        return builder.reject(None, f"{kind}: {type(exc).__name__}: {exc}"[:300])
    if len(raw) > source.max_record_bytes:
        return builder.reject(None, "record_too_large", raw[:SNIPPET_CHARS])
    return raw


def _text_document(source: SourceConfig, file: InputFile, raw: bytes, builder: _RecordBuilder):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield builder.reject(None, "invalid_utf8", raw)
        return
    obj = {source.text_field: text, "title": posixpath.basename(file.label)}
    if source.id_field:
        obj[source.id_field] = f"{source.name}-{file.label}"
    yield builder.build(obj, None, text)


def _one_document_reader(document):
    """A reader of files that hold one document each: ``document(source, file, raw, builder)``."""

    def read(source: SourceConfig, file: InputFile) -> Iterator[Doc | Rejected]:
        builder = _RecordBuilder(source, file)
        raw = _whole_file(source, file, builder)
        if isinstance(raw, Rejected):
            yield raw
            return
        yield from document(source, file, raw, builder)

    return read


def _html_document(source: SourceConfig, file: InputFile, raw: bytes, builder: _RecordBuilder):
    from pipeline.io.warc import read_html_file

    yield from read_html_file(source, file, raw, builder)


read_text = _one_document_reader(_text_document)
read_html = _one_document_reader(_html_document)


def read_warc(source: SourceConfig, file: InputFile) -> Iterator[Doc | Rejected]:
    """WARC, WET and ARC files (pipeline/io/warc.py), decompressed here so that a cut
    ``.warc.gz`` is noticed like a cut ``.jsonl.gz``."""
    from pipeline.io.warc import read_web_archive

    yield from read_web_archive(source, file, _chunks(file.path), _RecordBuilder(source, file))


def read_parquet(source: SourceConfig, file: InputFile, batch_rows: int = 1024) -> Iterator[Doc | Rejected]:
    import pyarrow.parquet as pq

    builder = _RecordBuilder(source, file)
    try:
        handle = FileSystems.open(file.path, compression_type=CompressionTypes.UNCOMPRESSED)
    except Exception as exc:  # noqa: BLE001
        yield builder.reject(None, f"unreadable_file: {type(exc).__name__}: {exc}"[:300])
        return
    with handle:
        try:
            parquet = pq.ParquetFile(handle)
        except Exception as exc:  # noqa: BLE001 - not a Parquet file, truncated footer, ...
            yield builder.reject(None, f"unreadable_file: {type(exc).__name__}: {exc}"[:300])
            return
        names = parquet.schema_arrow.names
        if source.text_field not in names:
            yield builder.reject(
                None, f"missing_text_column: no column '{source.text_field}' ({parquet.metadata.num_rows} rows)"
            )
            return
        row = 0
        for group in range(parquet.num_row_groups):
            group_rows = parquet.metadata.row_group(group).num_rows
            try:
                table = parquet.read_row_group(group)
            except Exception as exc:  # noqa: BLE001
                yield builder.reject(row + 1, f"unreadable_row_group: {type(exc).__name__}: {exc}"[:300])
                row += group_rows
                continue
            for batch in table.to_batches(max_chunksize=batch_rows):
                for record in batch.to_pylist():
                    row += 1
                    raw = record.get(source.text_field)
                    yield builder.build(record, row, raw if isinstance(raw, str) else json.dumps(_json_safe(record))[:SNIPPET_CHARS])


READERS = {"jsonl": read_jsonl, "text": read_text, "parquet": read_parquet,
           "warc": read_warc, "wet": read_warc, "html": read_html}


def read_file(source: SourceConfig, file: InputFile) -> Iterator[Doc | Rejected]:
    """Every record of one input file as a Doc or a Rejected; never raises on bad data."""
    reader = READERS.get(file.format)
    if reader is None:
        yield Rejected(source.name, file.label, None, f"unsupported_format: {file.format}")
        return
    yield from reader(source, file)
