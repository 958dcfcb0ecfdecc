"""The report of a real (tiny) run agrees exactly with the shard files and rejected/, and
`mixture report` reproduces it byte for byte, in this process and in a fresh one (reruns of
the whole job giving the same report.json is checked by test_end_to_end)."""

import collections
import glob
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.config import parse_config
from pipeline.report.build import summary_lines

TEXTS = {
    "en": "The committee met on Tuesday to discuss the new budget for the public library and decided to extend "
          "the opening hours during the summer months so that students can study in the evening.",
    "de": "Der Ausschuss traf sich am Dienstag, um über den neuen Haushalt der öffentlichen Bibliothek zu "
          "sprechen, und beschloss, die Öffnungszeiten in den Sommermonaten zu verlängern.",
    "fr": "Le comité s'est réuni mardi pour discuter du nouveau budget de la bibliothèque municipale et a décidé "
          "de prolonger les heures d'ouverture pendant les mois d'été.",
    "es": "El comité se reunió el martes para hablar del nuevo presupuesto de la biblioteca pública y decidió "
          "ampliar el horario de apertura durante los meses de verano.",
}
WORDS = {
    "en": "river mountain window garden kitchen teacher morning village bridge letter".split(),
    "de": "Fluss Berg Fenster Garten Küche Lehrer Morgen Dorf Brücke Brief".split(),
    "fr": "rivière montagne fenêtre jardin cuisine professeur matin village pont lettre".split(),
    "es": "río montaña ventana jardín cocina profesor mañana pueblo puente carta".split(),
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COUNTS = {"en": 9, "de": 5, "fr": 3, "es": 2}


def _text(lang: str, k: int) -> str:
    # distinct documents: a sentence plus a few different words per document
    extra = " ".join(WORDS[lang][(k * 3 + j) % 10] for j in range(4))
    return f"{TEXTS[lang]} {extra} {k}."


def _write_corpus(directory: str) -> int:
    os.makedirs(directory, exist_ok=True)
    records = 0
    with open(os.path.join(directory, "web.jsonl"), "w", encoding="utf-8") as f:
        for lang, n in COUNTS.items():
            for k in range(n):
                f.write(json.dumps({"id": f"{lang}-{k}", "text": _text(lang, k)}, ensure_ascii=False) + "\n")
                records += 1
        # an exact duplicate, a document with an e-mail address, and two unreadable records
        f.write(json.dumps({"id": "dup", "text": _text("en", 0)}) + "\n")
        f.write(json.dumps({"id": "mail", "text": _text("en", 20) + " Write to jane.doe@example.org today."}) + "\n")
        f.write("{not json\n")
        f.write(json.dumps({"id": "empty", "text": ""}) + "\n")
        records += 4
    with open(os.path.join(directory, "books.jsonl"), "w", encoding="utf-8") as f:
        for k in range(3):
            f.write(json.dumps({"id": f"b{k}", "text": _text("de", 10 + k) + " " + _text("de", 20 + k)},
                               ensure_ascii=False) + "\n")
            records += 1
    return records


@pytest.fixture(scope="module")
def run_output(tmp_path_factory):
    from pipeline.run import run

    base = tmp_path_factory.mktemp("reportrun")
    corpus = str(base / "in")
    records = _write_corpus(corpus)
    out = str(base / "out")
    config = parse_config({
        "name": "report-test",
        "seed": 11,
        "output": out,
        "sources": [{"name": "web", "paths": [os.path.join(corpus, "web.jsonl")]},
                    {"name": "books", "paths": [os.path.join(corpus, "books.jsonl")]}],
        "quality": {"enabled": False},
        "mixture": {"shards": {"count": 3}},
    })
    run(config, overwrite=True, log=lambda _m: None)
    first = {n: open(os.path.join(out, "report", n), "rb").read()
             for n in ("report.json", "languages.csv", "report.md", "report.html")}
    return out, records, first


def _report(out):
    with open(os.path.join(out, "report", "report.json"), encoding="utf-8") as f:
        return json.load(f)


def _shard_rows(out):
    rows = []
    for path in sorted(glob.glob(os.path.join(out, "shards", "*.parquet"))):
        rows += pq.read_table(path, columns=["source", "lang", "tokens"]).to_pylist()
    return rows


def test_languages_agree_with_the_shard_files(run_output):
    out, _, _ = run_output
    report = _report(out)
    docs, tokens = collections.Counter(), collections.Counter()
    by_source = collections.Counter()
    for row in _shard_rows(out):
        docs[row["lang"]] += 1
        tokens[row["lang"]] += row["tokens"]
        by_source[row["source"]] += 1
    final = {r["lang"]: r for r in report["languages"]["final"]}
    assert {lang: r["docs"] for lang, r in final.items()} == dict(docs)
    assert {lang: r["tokens"] for lang, r in final.items()} == dict(tokens)
    assert {r["source"]: r["docs"] for r in report["sources"]["final"]} == dict(by_source)
    assert {"en", "de", "fr", "es"} <= set(docs)
    top = report["top_languages"]["final"]
    assert [(r["lang"], r["docs"], r["tokens"]) for r in top["rows"]] == sorted(
        ((lang, docs[lang], tokens[lang]) for lang in docs), key=lambda t: (-t[2], -t[1], t[0]))
    assert abs(sum(r["share_pct"] for r in top["rows"]) - 100) <= 0.01
    assert report["accounting"]["written"] == sum(docs.values())


def test_accounting_agrees_with_rejected_files_and_input(run_output):
    out, records, _ = run_output
    acct = _report(out)["accounting"]
    rejected = []
    for path in glob.glob(os.path.join(out, "rejected", "*.jsonl")):
        with open(path, encoding="utf-8") as f:
            rejected += [json.loads(line) for line in f]
    assert acct["rejected"] == len(rejected) == 2
    reasons = collections.Counter(r["reason"].split(":", 1)[0] for r in rejected)
    assert acct["rejected_by_reason"] == dict(reasons)
    assert acct["read"] == records
    written = len(_shard_rows(out))
    assert acct["written"] == written
    assert acct["read"] == acct["selected"] + acct["dropped"] + acct["rejected"]
    assert acct["dropped"] == records - written - len(rejected) + acct["extra_copies"]
    assert acct["dropped_by_stage"].get("dedup", 0) >= 1  # the exact duplicate
    assert acct["balanced"]


def test_mixture_report_reproduces_the_rendered_files(run_output, capsys):
    out, _, first = run_output
    for name in ("languages.csv", "report.md", "report.html"):
        os.remove(os.path.join(out, "report", name))
    assert main(["report", out]) == 0
    capsys.readouterr()
    for name, data in first.items():
        assert open(os.path.join(out, "report", name), "rb").read() == data, name


def test_mixture_report_in_a_fresh_process_gives_the_same_bytes(run_output):
    out, _, first = run_output
    os.remove(os.path.join(out, "report", "report.html"))
    proc = subprocess.run([sys.executable, "-m", "pipeline", "report", out], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert os.path.join(out, "report", "report.html") in proc.stdout
    for name, data in first.items():
        assert open(os.path.join(out, "report", name), "rb").read() == data, name


def test_summary_names_the_largest_languages(run_output):
    out, _, _ = run_output
    report = _report(out)
    lines = summary_lines(report)
    rows = _shard_rows(out)
    tokens = collections.Counter()
    for r in rows:
        tokens[r["lang"]] += r["tokens"]
    assert max(tokens, key=tokens.get) == "en"  # English: the most documents, and longer ones than German's
    en_docs = sum(1 for r in rows if r["lang"] == "en")
    assert lines[1].split() == ["1.", "English", "(en)", f"{100 * tokens['en'] / sum(tokens.values()):.2f}%",
                                str(en_docs), "documents,", str(tokens["en"]), "tokens"]
    assert lines[-1] == (f"read {report['accounting']['read']:,} = selected {report['accounting']['selected']:,} "
                         f"+ dropped {report['accounting']['dropped']:,} + rejected 2; written "
                         f"{report['accounting']['written']:,} = selected {report['accounting']['selected']:,} "
                         f"+ extra copies {report['accounting']['extra_copies']:,} (balanced)")
