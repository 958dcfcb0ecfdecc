"""Bitext readers (pipeline/io/bitext.py): TSV and TMX, every bad record rejected with a reason."""

import gzip
import json
import os

import pytest

from pipeline.config import parse_config
from pipeline import files as fs
from pipeline.io.bitext import (
    BitextPair,
    langs_from_name,
    parallel_sources,
    plan_parallel_inputs,
    read_bitext,
)
from pipeline.io.readers import InputFile
from pipeline.records import Rejected

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "pipeline", "data", "sample")


def _config(parallel=None, **source):
    src = {"name": "bitext", "kind": "parallel", "paths": ["unused.tsv"], **source}
    return parse_config({"name": "t", "sources": [src], "parallel": {"enabled": True, **(parallel or {})}},
                        check_paths=False)


def _read(path, fmt="tsv", label=None, config=None):
    config = config or _config()
    file = InputFile(0, str(path), label or os.path.basename(str(path)), fmt)
    return list(read_bitext(parallel_sources(config)[0], file, config.parallel))


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _pairs(records):
    return [r for r in records if isinstance(r, BitextPair)]


def _rejected(records):
    return [(r.line, r.reason.split(":")[0]) for r in records if isinstance(r, Rejected)]


# ------------------------------------------------------------------------- TSV


def test_tsv_header_names_the_languages(tmp_path):
    path = _write(tmp_path, "corpus.tsv", "en\tde\nGood morning.\tGuten Morgen.\n".encode())
    records = _read(path)
    assert _rejected(records) == []
    (pair,) = _pairs(records)
    assert (pair.lang_a, pair.lang_b, pair.text_a, pair.text_b) == ("en", "de", "Good morning.", "Guten Morgen.")
    assert pair.line == 2 and pair.metadata == {"input_file": "corpus.tsv", "input_line": 2}


def test_tsv_header_codes_are_normalised(tmp_path):
    path = _write(tmp_path, "x.tsv", "eng\tzh_CN\nHello.\t你好。\n".encode())
    (pair,) = _pairs(_read(path))
    assert (pair.lang_a, pair.lang_b) == ("en", "zh")


def test_tsv_languages_from_the_file_name(tmp_path):
    path = _write(tmp_path, "news.en-ar.tsv", "Hello.\tمرحبا.\n".encode())
    (pair,) = _pairs(_read(path))
    assert (pair.lang_a, pair.lang_b, pair.line) == ("en", "ar", 1)


def test_tsv_languages_from_config_win_and_header_yes_skips_line(tmp_path):
    path = _write(tmp_path, "data.tsv", "english\tthai\nHello.\tสวัสดีครับ\n".encode())
    config = _config({"sources": {"bitext": {"langs": ["en", "th"], "header": "yes"}}})
    records = _read(path, config=config)
    (pair,) = _pairs(records)
    assert (pair.lang_a, pair.lang_b, pair.text_b) == ("en", "th", "สวัสดีครับ")


def test_tsv_header_no_reads_first_line_as_data(tmp_path):
    path = _write(tmp_path, "data.tsv", "no\tja\n".encode())  # Norwegian "no" is also a code
    config = _config({"sources": {"bitext": {"langs": ["en", "ja"], "header": "no"}}})
    (pair,) = _pairs(_read(path, config=config))
    assert (pair.text_a, pair.text_b, pair.line) == ("no", "ja", 1)


def test_tsv_without_languages_rejects_the_file(tmp_path):
    path = _write(tmp_path, "data.tsv", b"Hello.\tHallo.\nBye.\tTschuss.\n")
    records = _read(path)
    assert _pairs(records) == []
    assert _rejected(records) == [(None, "unknown_languages")]


def test_tsv_bad_lines_are_rejected_with_line_numbers(tmp_path):
    data = (b"en\tfr\n"
            b"One.\tUn.\n"
            b"\n"                              # blank: skipped
            b"too\tmany\tcolumns\n"
            b"no tab here\n"
            b"\xff\xfe bad\tutf8\n"
            b"Empty target.\t\n"
            b"Two.\tDeux.\r\n")
    records = _read(_write(tmp_path, "x.tsv", data))
    assert _rejected(records) == [(4, "wrong_column_count"), (5, "wrong_column_count"), (6, "invalid_utf8")]
    pairs = _pairs(records)
    assert [(p.line, p.text_a, p.text_b) for p in pairs] == [(2, "One.", "Un."), (7, "Empty target.", ""),
                                                            (8, "Two.", "Deux.")]


def test_tsv_bom_and_normalisation(tmp_path):
    data = "\ufeffen\tde\n  Cafe\u0301  \t Ka\u0308se\x07 \n".encode()
    (pair,) = _pairs(_read(_write(tmp_path, "x.tsv", data)))
    assert (pair.text_a, pair.text_b) == ("Café", "Käse")


def test_tsv_huge_lines_are_rejected_without_loading(tmp_path):
    huge = b"en\tde\n" + b"a" * 5000 + b"\tb\nSmall.\tKlein.\n"
    config = _config(max_record_bytes=1000)
    records = _read(_write(tmp_path, "x.tsv", huge), config=config)
    assert _rejected(records) == [(2, "record_too_large")]
    assert [p.text_a for p in _pairs(records)] == ["Small."]
    config = _config(max_doc_chars=100)
    records = _read(_write(tmp_path, "y.tsv", b"en\tde\n" + b"a" * 500 + b"\tb\n"), config=config)
    assert _rejected(records) == [(2, "too_large")]


def test_tsv_gzip_and_truncated_gzip(tmp_path):
    body = "en\tja\n" + "".join(f"Sentence {i}.\t文{i}です。\n" for i in range(50))
    data = gzip.compress(body.encode())
    records = _read(_write(tmp_path, "x.tsv.gz", data))
    assert len(_pairs(records)) == 50 and _rejected(records) == []
    records = _read(_write(tmp_path, "y.tsv.gz", data[: len(data) // 2]))
    assert _rejected(records)[-1][1] == "truncated_file"


def test_missing_file_is_rejected(tmp_path):
    records = _read(tmp_path / "missing-en-de.tsv")
    assert _rejected(records) == [(None, "unreadable_file")]


def test_pair_ids_are_stable_and_unique(tmp_path):
    data = "en\tde\n" + "".join(f"S{i}.\tS{i}.\n" for i in range(20))
    first = [p.id for p in _pairs(_read(_write(tmp_path, "x.tsv", data.encode())))]
    again = [p.id for p in _pairs(_read(_write(tmp_path, "x.tsv", data.encode())))]
    assert first == again and len(set(first)) == 20 and all(i.startswith("bitext-") for i in first)


@pytest.mark.parametrize("name,expected", [
    ("en-de.tsv", ("en", "de")), ("corpus.en-zh.tsv.gz", ("en", "zh")), ("en_ja.tsv", ("en", "ja")),
    ("web/de-en.tmx", ("de", "en")), ("parallel.tsv", None), ("en-en.tsv", None), ("xx-yy.tsv", None),
])
def test_langs_from_name(name, expected):
    assert langs_from_name(name) == expected


# ------------------------------------------------------------------------- TMX

TMX_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
            '<header srclang="{src}" datatype="plaintext" segtype="sentence" adminlang="en" o-tmf="x" '
            'creationtool="t" creationtoolversion="1"/>\n<body>\n')


def _tmx(units: str, src="en") -> bytes:
    return (TMX_HEAD.format(src=src) + units + "</body>\n</tmx>\n").encode()


def _tu(*variants, tuid=None):
    attr = f' tuid="{tuid}"' if tuid else ""
    inner = "".join(f'<tuv xml:lang="{lang}"><seg>{seg}</seg></tuv>' for lang, seg in variants)
    return f"<tu{attr}>{inner}</tu>\n"


def test_tmx_pairs_follow_srclang(tmp_path):
    units = _tu(("de", "Guten Tag."), ("en-GB", "Good day."), tuid="7") + _tu(("en", "Yes."), ("de", "Ja."))
    records = _read(_write(tmp_path, "x.tmx", _tmx(units)), fmt="tmx")
    assert _rejected(records) == []
    first, second = _pairs(records)
    assert (first.lang_a, first.text_a, first.lang_b, first.text_b) == ("en", "Good day.", "de", "Guten Tag.")
    assert first.metadata["tuid"] == "7" and first.line == 5 and second.line == 6


def test_tmx_inline_markup(tmp_path):
    seg = 'Press <bpt i="1">&lt;b&gt;</bpt>Start<ept i="1">&lt;/b&gt;</ept> <hi>now</hi> &amp; wait<ph>{x}</ph>.'
    units = _tu(("en", seg), ("ar", "اضغط ابدأ الآن وانتظر."))
    (pair,) = _pairs(_read(_write(tmp_path, "x.tmx", _tmx(units)), fmt="tmx"))
    assert pair.text_a == "Press Start now & wait."
    assert pair.text_b == "اضغط ابدأ الآن وانتظر."


def test_tmx_multilingual_unit_gives_one_pair_per_other_language(tmp_path):
    units = _tu(("fr", "Bonjour."), ("en", "Hello."), ("sw", "Habari."))
    pairs = _pairs(_read(_write(tmp_path, "x.tmx", _tmx(units, src="*all*")), fmt="tmx"))
    assert [(p.lang_a, p.lang_b, p.text_b) for p in pairs] == [("en", "fr", "Bonjour."), ("en", "sw", "Habari.")]
    assert len({p.id for p in pairs}) == 2


def test_tmx_bad_units_are_rejected(tmp_path):
    units = ('<tu><tuv><seg>No language.</seg></tuv><tuv xml:lang="de"><seg>Keine.</seg></tuv></tu>\n'
             '<tu><tuv xml:lang="en"><seg>No seg.</seg></tuv><tuv xml:lang="de"></tuv></tu>\n'
             + _tu(("en", "Alone."))
             + _tu(("en", "Same."), ("en", "Same."))
             + _tu(("en", "Fine."), ("de", "Gut.")))
    records = _read(_write(tmp_path, "x.tmx", _tmx(units)), fmt="tmx")
    assert [reason for _, reason in _rejected(records)] == ["missing_lang", "missing_seg", "no_pair", "no_pair"]
    assert [p.text_b for p in _pairs(records)] == ["Gut."]


def test_tmx_doctype_and_entities_are_refused(tmp_path):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE tmx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>\n'
            '<tmx version="1.4"><header srclang="en"/><body>'
            '<tu><tuv xml:lang="en"><seg>&b;</seg></tuv><tuv xml:lang="de"><seg>x</seg></tuv></tu></body></tmx>')
    records = _read(_write(tmp_path, "x.tmx", bomb.encode()), fmt="tmx")
    assert _pairs(records) == []
    assert [reason for _, reason in _rejected(records)] == ["unsafe_xml"]
    external = ('<?xml version="1.0"?>\n<!DOCTYPE tmx SYSTEM "http://example.org/tmx.dtd">\n<tmx/>')
    records = _read(_write(tmp_path, "y.tmx", external.encode()), fmt="tmx")
    assert [reason for _, reason in _rejected(records)] == ["unsafe_xml"]


def test_tmx_broken_xml_keeps_units_before_the_damage(tmp_path):
    data = _tmx(_tu(("en", "Good."), ("de", "Gut.")) + "<tu><tuv xml:lang='en'><seg>Broken</tuv></tu>")
    records = _read(_write(tmp_path, "x.tmx", data), fmt="tmx")
    assert [p.text_b for p in _pairs(records)] == ["Gut."]
    ((line, reason),) = _rejected(records)
    assert reason == "invalid_xml" and line == 6


def test_unsupported_format(tmp_path):
    records = _read(_write(tmp_path, "x.csv", b"a,b\n"), fmt="jsonl")
    assert _rejected(records) == [(None, "unsupported_format")]


# ------------------------------------------------------------------------- demo


def test_demo_bitext_reads_cleanly():
    config = parse_config({"name": "t", "sources": [{"name": "bitext", "kind": "parallel",
                                                     "paths": [os.path.join(SAMPLE, "parallel", "*")]}],
                           "parallel": {"enabled": True}}, check_paths=False)
    inputs = plan_parallel_inputs(config, fs.expand_patterns)
    with open(os.path.join(SAMPLE, "planted.json"), encoding="utf-8") as handle:
        expected = json.load(handle)["bitext_pairs_per_file"]
    assert {f"parallel/{f.label}": f.format for f in inputs} == {
        name: name.rsplit(".", 1)[1] for name in expected}
    source = parallel_sources(config)[0]
    for file in inputs:
        records = list(read_bitext(source, file, config.parallel))
        assert not _rejected(records), file.label
        assert len(records) == expected[f"parallel/{file.label}"]["pairs"], file.label
        assert {(p.lang_a, p.lang_b) for p in records} == {("en", file.label[3:5])}


def test_tmx_giant_segment_is_rejected_not_loaded(tmp_path):
    config = _config(max_doc_chars=1000)
    units = _tu(("en", "word " * 10_000), ("de", "Wort.")) + _tu(("en", "Fine."), ("de", "Gut."))
    records = _read(_write(tmp_path, "x.tmx", _tmx(units)), fmt="tmx", config=config)
    assert [reason for _, reason in _rejected(records)] == ["too_large"]
    assert [p.text_b for p in _pairs(records)] == ["Gut."]


def test_tmx_with_a_default_namespace(tmp_path):
    data = ('<?xml version="1.0"?><tmx xmlns="http://www.lisa.org/tmx14" version="1.4"><header srclang="en"/>'
            '<body><tu><tuv xml:lang="en"><seg>Hi.</seg></tuv><tuv xml:lang="fr"><seg>Salut.</seg></tuv></tu>'
            '</body></tmx>')
    (pair,) = _pairs(_read(_write(tmp_path, "x.tmx", data.encode()), fmt="tmx"))
    assert (pair.lang_a, pair.lang_b, pair.text_b) == ("en", "fr", "Salut.")


def test_arbitrary_bytes_never_raise(tmp_path):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    path = tmp_path / "en-de.tsv"

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.binary(max_size=300) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
    def check(data):
        path.write_bytes(data)
        for fmt in ("tsv", "tmx"):
            for record in _read(path, fmt=fmt):
                assert isinstance(record, (BitextPair, Rejected))
                if isinstance(record, BitextPair):
                    assert "\t" not in record.text_a + record.text_b

    check()


def test_tsv_bad_first_line_still_uses_the_file_name(tmp_path):
    records = _read(_write(tmp_path, "en-de.tsv", b"\xff bad\tline\nGood.\tGut.\n"))
    assert _rejected(records) == [(1, "invalid_utf8")]
    assert [(p.lang_a, p.lang_b, p.text_b) for p in _pairs(records)] == [("en", "de", "Gut.")]
    records = _read(_write(tmp_path, "data.tsv", b"\xff bad\tline\nGood.\tGut.\n"))
    assert _rejected(records) == [(None, "unknown_languages")]
