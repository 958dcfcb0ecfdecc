import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.config.sources import SourceConfig
from pipeline.files import expand_patterns
from pipeline.io.readers import InputFile, derived_id, plan_input_files, read_file
from pipeline.records import Doc, Rejected

GOOD = "A perfectly ordinary paragraph of text. It has two sentences."


def _source(**kw):
    return SourceConfig(name="web", paths=["unused"], **kw)


def _read(path, fmt, **kw):
    source = _source(**kw)
    return list(read_file(source, InputFile(0, str(path), path.name, fmt)))


def _lines(*objs):
    return b"".join((o if isinstance(o, bytes) else json.dumps(o).encode()) + b"\n" for o in objs)


def test_jsonl_good_records_and_field_mapping(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(_lines({"id": "d1", "text": GOOD, "url": "https://example.org/1"},
                            {"doc_id": 7, "body": GOOD}))
    docs = _read(path, "jsonl")
    assert isinstance(docs[0], Doc) and docs[0].id == "d1"
    assert docs[0].metadata["url"] == "https://example.org/1"
    assert docs[0].metadata["input_line"] == 1
    # second record has no "id"/"text" fields under the default mapping
    assert isinstance(docs[1], Rejected) and docs[1].reason == "missing_text"

    mapped = _read(path, "jsonl", text_field="body", id_field="doc_id")
    assert isinstance(mapped[1], Doc) and mapped[1].id == "7"


def test_jsonl_every_malformed_case_is_rejected_with_reason_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(_lines(
        {"id": "ok1", "text": GOOD},          # 1
        b'{"id": "x", "text": "unterminated',  # 2 invalid json
        b'{"id": "u", "text": "\xff\xfe bad"}',  # 3 invalid utf-8
        {"id": "m"},                            # 4 missing text
        {"id": "e", "text": "   "},             # 5 empty text
        {"id": "n", "text": 42},                # 6 text not a string
        ["a", "list"],                          # 7 not an object
        b"",                                    # 8 blank line: skipped, not a record
        b'{"id": "s", "text": "lone \\ud800 surrogate"}',  # 9
        {"id": "ok2", "text": GOOD},           # 10
    ))
    out = _read(path, "jsonl")
    docs = [r for r in out if isinstance(r, Doc)]
    rejected = {r.line: r.reason for r in out if isinstance(r, Rejected)}
    assert [d.id for d in docs] == ["ok1", "ok2"]
    assert rejected == {2: "invalid_json", 3: "invalid_utf8", 4: "missing_text", 5: "empty_text",
                        6: "text_not_string", 7: "not_an_object", 9: "invalid_unicode"}
    assert all(r.file == "bad.jsonl" and r.source == "web" for r in out if isinstance(r, Rejected))


def test_jsonl_gzip_and_zstd_and_last_line_without_newline(tmp_path):
    body = _lines({"id": "g1", "text": GOOD}) + json.dumps({"id": "g2", "text": GOOD}).encode()
    gz = tmp_path / "a.jsonl.gz"
    gz.write_bytes(gzip.compress(body))
    zst = tmp_path / "a.jsonl.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(body))
    assert [d.id for d in _read(gz, "jsonl")] == ["g1", "g2"]
    assert [d.id for d in _read(zst, "jsonl")] == ["g1", "g2"]


def test_truncated_gzip_keeps_lines_before_the_damage(tmp_path):
    body = _lines(*({"id": f"t{i}", "text": GOOD + str(i) * 50} for i in range(2000)))
    data = gzip.compress(body)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    out = _read(path, "jsonl")
    docs = [r for r in out if isinstance(r, Doc)]
    rejected = [r for r in out if isinstance(r, Rejected)]
    assert 0 < len(docs) < 2000
    assert len(rejected) == 1 and rejected[0].reason.startswith("truncated_file")
    assert rejected[0].line == len(docs) + 1  # the first line not read whole


def test_oversized_records_are_rejected_without_loading_them(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_bytes(_lines({"id": "a", "text": GOOD}, {"id": "big", "text": "x" * 5000}, {"id": "c", "text": GOOD}))
    out = _read(path, "jsonl", max_record_bytes=1000)
    assert [(type(r).__name__, getattr(r, "reason", None)) for r in out] == [
        ("Doc", None), ("Rejected", "record_too_large"), ("Doc", None)]
    out = _read(path, "jsonl", max_doc_chars=1000)
    assert out[1].reason == "too_large"


def test_missing_ids_get_stable_derived_ids(tmp_path):
    path = tmp_path / "noid.jsonl"
    path.write_bytes(_lines({"text": GOOD}, {"text": GOOD, "id": ""}))
    first = [d.id for d in _read(path, "jsonl")]
    again = [d.id for d in _read(path, "jsonl")]
    assert first == again and len(set(first)) == 2
    assert first[0] == derived_id("web", "noid.jsonl", 1)


def test_parquet_rows_and_bad_rows(tmp_path):
    table = pa.table({"id": ["p1", "p2", "p3"], "text": [GOOD, None, ""], "title": ["T1", "T2", "T3"]})
    path = tmp_path / "b.parquet"
    pq.write_table(table, path)
    out = _read(path, "parquet")
    assert isinstance(out[0], Doc) and out[0].id == "p1" and out[0].metadata["title"] == "T1"
    assert [(r.line, r.reason) for r in out[1:]] == [(2, "missing_text"), (3, "empty_text")]


def test_parquet_without_text_column_and_corrupt_file(tmp_path):
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": ["a"], "body": [GOOD]}), path)
    out = _read(path, "parquet")
    assert len(out) == 1 and out[0].reason.startswith("missing_text_column")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1 not really parquet")
    out = _read(junk, "parquet")
    assert len(out) == 1 and out[0].reason.startswith("unreadable_file")


def test_text_files_one_document_each(tmp_path):
    good = tmp_path / "note.txt"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfa")
    [doc] = _read(good, "text")
    assert doc.id == "web-note.txt" and doc.text == GOOD
    [rej] = _read(bad, "text")
    assert rej.reason == "invalid_utf8" and rej.line is None


def test_plan_input_files_labels_are_relative_to_the_common_root(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    for name in ("x/a.jsonl", "y/b.jsonl.gz"):
        (tmp_path / name).write_bytes(b"")
    source = SourceConfig(name="web", paths=[str(tmp_path / "*" / "*.jsonl*")])
    files = plan_input_files([source], expand_patterns)
    assert [f.label for f in files] == ["x/a.jsonl", "y/b.jsonl.gz"]
    assert [f.format for f in files] == ["jsonl", "jsonl"]


@pytest.mark.parametrize("name", ["missing.jsonl", "missing.txt"])
def test_vanished_file_is_rejected_not_raised(tmp_path, name):
    fmt = "jsonl" if name.endswith("jsonl") else "text"
    out = _read(tmp_path / name, fmt)
    assert len(out) == 1 and out[0].reason.startswith("unreadable_file")
