"""The report: figures from a hand-made stats table, the PaLM 2-style table, the self-contained
HTML page, deterministic files, `mixture report` re-rendering, the console summary."""

import csv
import io
import json
import os
import re

import pytest

from pipeline.cli import main
from pipeline.report import charts
from pipeline.report.build import (
    REPORT_VERSION,
    build_report,
    render_files,
    render_report,
    report_json,
    rerender,
    summary_lines,
    write_runtime,
)
from pipeline.report.console import progress_line, watch_progress
from pipeline.report.figures import accounting, accounting_line, funnel_steps, imbalance
from pipeline.report.groups import mixture_figures
from pipeline.records import Doc
from pipeline.report.tables import language_name, top_languages

# 60 real language codes: more than the 50 the table lists
LANGS = ("en de fr es it pt nl ru pl uk cs sk sl hr sr bs bg ro hu fi sv da nb is et lv lt el tr ar "
         "he fa ur hi bn ta te mr gu kn ml pa zh ja ko th vi id ms tl sw yo ha am so zu xh af sq ka").split()
assert len(LANGS) == 60


def _stats() -> dict:
    """A run of two document sources: 'web' in 60 languages, 'books' in 2; every figure group present."""
    stats: dict = {}

    def add(key, value):
        stats[key] = stats.get(key, 0) + value

    for i, lang in enumerate(LANGS):
        final_docs = 1000 - 15 * i
        for point, docs in (("input", final_docs + 30), ("filtered", final_docs + 10), ("final", final_docs)):
            add(f"point/{point}/web/{lang}/docs", docs)
            add(f"point/{point}/web/{lang}/tokens", docs * 100)
            add(f"point/{point}/web/{lang}/chars", docs * 450)
            add(f"point/{point}/web/{lang}/bytes", docs * 470)
        add(f"dropped/quality:gopher_word_count/web/{lang}/docs", 15)
        add(f"dropped/quality:gopher_word_count/web/{lang}/tokens", 150)
        add(f"dropped/dedup:near/web/{lang}/docs", 5)
        add(f"dropped/dedup:near/web/{lang}/tokens", 500)
        add(f"dropped/mixture:not_sampled/web/{lang}/docs", 10)
        add(f"dropped/mixture:not_sampled/web/{lang}/tokens", 1000)
        add(f"mixture/available_tokens/web/{lang}", (final_docs + 10) * 100)
        add(f"mixture/target_tokens/web/{lang}", final_docs * 100)
        add(f"mixture/selected_docs/web/{lang}", final_docs)
        add("read/web", final_docs + 30)
    # books: 'en' repeated (extra copies make final larger than filtered)
    for point, docs in (("input", 40), ("filtered", 40), ("final", 60)):
        add(f"point/{point}/books/en/docs", docs)
        add(f"point/{point}/books/en/tokens", docs * 5000)
        add(f"point/{point}/books/en/chars", docs * 20000)
        add(f"point/{point}/books/en/bytes", docs * 20000)
    add("mixture/available_tokens/books/en", 40 * 5000)
    add("mixture/target_tokens/books/en", 60 * 5000)
    add("mixture/copies/books/en", 20)
    add("mixture/selected_docs/books/en", 40)
    add("mixture/epochs/books/en", 1.5)
    add("mixture/budget_tokens", 6_000_000)
    add("read/books", 40 + 3)
    add("rejected/books/invalid_parquet", 2)
    add("rejected/web/invalid_json", 0)
    add("read/books", 1)
    add("rejected/books/empty_text", 1)
    add("dropped/normalize:empty_after_cleanup/books/und/docs", 1)
    add("dropped/normalize:empty_after_cleanup/books/und/tokens", 0)
    # stage groups
    add("dedup/clusters", 12)
    for size, n in ((2, 8), (3, 2), (7, 1), (300, 1)):
        add(f"dedup/cluster_size/{size}", n)
        add(f"dedup/near/cluster_size/{size}", n)
    add("dedup/near/clusters", 12)
    add("dedup/near/removed/en", 3)
    add("pii/entity/EMAIL_ADDRESS/en", 7)
    add("pii/entity/EMAIL_ADDRESS/de", 2)
    add("pii/entity/PHONE_NUMBER/en", 3)
    add("pii/docs/en", 1000)
    add("pii/docs_with_pii/en", 9)
    add("pii/spans/en", 10)
    # figures listed only generically (their stages' sections need other figures)
    add("canaries/canaries/shuffle/en", 5)
    add("control_tokens/toxicity/low/en", 40)
    add("langid/docs", 1)
    return stats


MANIFEST = {
    "name": "handmade",
    "seed": 7,
    "config_sha256": "0" * 64,
    "versions": {"mixture-pipeline": "0.1.0", "python": "3.11"},
    "shards": {"format": "parquet", "count": 1, "documents": 10, "tokens": 100,
               "files": [{"file": "part-00000-of-00001.parquet", "documents": 10, "tokens": 100, "bytes": 5,
                          "sha256": "f" * 64}]},
}


@pytest.fixture(scope="module")
def report():
    return build_report(None, _stats(), None, MANIFEST)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, report):
    root = str(tmp_path_factory.mktemp("run"))
    render_report(root, report)
    names = ("report.json", "languages.csv", "report.md", "report.html")
    files = {n: open(os.path.join(root, "report", n), "rb").read() for n in names}
    return root, files


# ---------------------------------------------------------------------------- figures


def test_accounting_shows_selected_dropped_rejected_and_extra_copies():
    stats = _stats()
    acct = accounting(stats)
    final_web = sum(1000 - 15 * i for i in range(60))
    assert acct["read"] == final_web + 30 * 60 + 44
    assert acct["rejected"] == 3 and acct["rejected_by_reason"] == {"empty_text": 1, "invalid_json": 0,
                                                                   "invalid_parquet": 2}
    assert acct["extra_copies"] == 20
    assert acct["written"] == final_web + 60
    assert acct["selected"] == final_web + 40
    assert list(acct["dropped_by_stage"].items()) == [("normalize", 1), ("quality", 900), ("dedup", 300),
                                                      ("mixture", 600)]
    assert acct["read"] == acct["selected"] + acct["dropped"] + acct["rejected"]
    assert acct["written"] == acct["selected"] + acct["extra_copies"]
    assert acct["balanced"]


def test_accounting_detects_imbalance():
    stats = _stats()
    stats["read/web"] += 1
    acct = accounting(stats)
    assert not acct["read_balanced"] and acct["written_balanced"] and not acct["balanced"]
    assert imbalance(acct) == [f"{acct['read']:,} records were read but {acct['read'] - 1:,} are accounted for "
                               "(selected + dropped + rejected): a stage before the mixture lost or duplicated 1"]


def test_accounting_detects_a_document_lost_after_sampling():
    """selected is the sampler's own count, so a document that vanishes between the
    sampler and the shards unbalances the written equation (and only that one)."""
    stats = _stats()
    stats["point/final/web/en/docs"] -= 1
    acct = accounting(stats)
    assert acct["read_balanced"] and not acct["written_balanced"] and not acct["balanced"]
    assert acct["selected"] == sum(1000 - 15 * i for i in range(60)) + 40
    assert imbalance(acct) == [
        f"{acct['written']:,} documents reached the shards but the mixture and canary stages emitted "
        f"{acct['written'] + 1:,} (selected + extra copies + canaries): 1 were lost or duplicated after sampling"]
    assert accounting_line(acct).endswith("(NOT BALANCED)")


def test_funnel_steps_end_at_written():
    steps = funnel_steps(_stats())
    assert [s["step"] for s in steps][:2] == ["read", "rejected"]
    assert steps[-1]["step"] == "written"
    assert steps[-2] == {"step": "extra copies", "change": 20, "remaining": steps[-1]["remaining"]}
    for before, after in zip(steps[1:-1], steps[2:-1]):
        assert after["remaining"] == before["remaining"] + after["change"]


def test_mixture_target_vs_achieved():
    m = mixture_figures(_stats())
    assert m["planned"] and m["budget_tokens"] == 6_000_000
    books = next(b for b in m["buckets"] if b["source"] == "books")
    assert books["target_tokens"] == books["achieved_tokens"] == 300_000
    assert books["copies"] == 20 and books["epochs"] == 1.5
    assert abs(sum(b["target_pct"] for b in m["buckets"]) - 100) < 1e-3
    assert abs(sum(b["achieved_pct"] for b in m["buckets"]) - 100) < 1e-3
    unplanned = mixture_figures({"point/filtered/web/en/tokens": 10, "point/final/web/en/tokens": 10})
    assert not unplanned["planned"] and unplanned["buckets"][0]["target_tokens"] == 10


def test_known_groups(report):
    assert report["report_version"] == REPORT_VERSION
    assert report["dedup"]["histogram"] == [[2, 8], [3, 2], [7, 1], [300, 1]]
    assert report["dedup"]["clusters"] == 12
    assert report["pii"]["entities"][0] == {"entity": "EMAIL_ADDRESS", "total": 9, "by_lang": {"en": 7, "de": 2}}
    assert report["pii"]["languages"][0]["docs_with_pii_pct"] == pytest.approx(0.9)
    assert report["stages"]["canaries"] == {"canaries/shuffle/en": 5}
    assert report["stages"]["langid"] == {"docs": 1}
    assert report["canaries"] is None and report["control_tokens"] is None
    assert charts.binned_histogram(report["dedup"]["histogram"]) == [("2", 8), ("3", 2), ("5-8", 1), ("257-512", 1)]


# ---------------------------------------------------------------------------- languages


def test_language_names_are_english():
    assert language_name("en") == "English"
    assert language_name("de") == "German"
    assert language_name("zh") == "Chinese"
    assert language_name("und") == "Undetermined"


def test_top_50_table_sorted_by_share_with_others_summing_to_100(report):
    for key in ("documents_filtered", "final"):
        table = report["top_languages"][key]
        assert table["measure"] == "tokens" and len(table["rows"]) == 50 and table["languages"] == 60
        shares = [r["share_pct"] for r in table["rows"]]
        assert shares == sorted(shares, reverse=True)
        assert [r["rank"] for r in table["rows"]] == list(range(1, 51))
        assert table["others"]["name"] == "others (10 languages)"
        assert abs(sum(shares) + table["others"]["share_pct"] - 100) <= 0.01
        assert table["rows"][0]["lang"] == "en" and table["rows"][0]["name"] == "English"
    # the document-sources table holds only kind=documents sources: with no config, every measured source
    final = report["top_languages"]["final"]
    assert final["rows"][0]["tokens"] == 1000 * 100 + 60 * 5000


def test_top_table_falls_back_to_documents_without_tokens():
    table = top_languages([{"lang": "en", "docs": 3, "tokens": 0, "bytes": 9},
                           {"lang": "fr", "docs": 1, "tokens": 0, "bytes": 3}], top=1)
    assert table["measure"] == "docs"
    assert [r["share_pct"] for r in table["rows"]] == [75.0] and table["others"]["share_pct"] == 25.0


def test_document_sources_table_excludes_parallel_sources():
    class Source:
        def __init__(self, name, kind):
            self.name, self.kind = name, kind

    class Config:
        name, seed = "c", 1
        sources = [Source("web", "documents"), Source("bitext", "parallel")]

        def sha256(self):
            return "abc"

    stats = {"point/filtered/web/de/tokens": 10, "point/filtered/web/de/docs": 1,
             "point/filtered/bitext/en/tokens": 90, "point/filtered/bitext/en/docs": 1}
    report = build_report(Config(), stats, None, None)
    assert [r["lang"] for r in report["top_languages"]["documents_filtered"]["rows"]] == ["de"]
    assert report["config_sha256"] == "abc"


def test_languages_csv_lists_every_language_at_every_point(rendered, report):
    rows = list(csv.DictReader(io.StringIO(rendered[1]["languages.csv"].decode("utf-8"))))
    assert len(rows) == 3 * 60
    final = [r for r in rows if r["point"] == "final"]
    assert [int(r["rank"]) for r in final] == list(range(1, 61))
    assert final[0]["lang"] == "en" and final[0]["name"] == "English"
    assert abs(sum(float(r["tokens_pct"]) for r in final) - 100) <= 0.01
    tokens = [int(r["tokens"]) for r in final]
    assert tokens == sorted(tokens, reverse=True)


# ---------------------------------------------------------------------------- rendering


def test_html_is_self_contained_with_embedded_charts(rendered):
    html = rendered[1]["report.html"].decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    lowered = html.lower()
    assert "http://" not in lowered and "https://" not in lowered and "<script" not in lowered
    assert "<link" not in lowered and "@import" not in lowered and "url(" not in lowered
    sources = re.findall(r"src=\"([^\"]*)\"", html)
    assert len(sources) == 4  # language shares, funnel, cluster sizes, target vs achieved
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert lowered.count("src=") == 4
    for title in ("Accounting", "Languages", "Filtering funnel", "Deduplication", "PII",
                  "Target vs achieved mixture", "Stage figures", "others (10 languages)", "English"):
        assert title in html
    assert "control_tokens" in html and "canaries" in html  # unknown groups listed generically


def test_charts_are_valid_deterministic_pngs(report):
    first = charts.cluster_histogram_png(report["dedup"]["histogram"])
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == charts.cluster_histogram_png(report["dedup"]["histogram"])
    assert b"Software" not in first and b"matplotlib" not in first
    assert charts.cluster_histogram_png([]) is None and charts.funnel_png([]) is None


def test_markdown_has_the_palm2_tables_and_every_section(rendered):
    md = rendered[1]["report.md"].decode("utf-8")
    # one report model for both formats: the top tables are sub-sections of "Languages", as in the HTML page
    assert "### Top languages of the document sources" in md and "### Top languages of the final mixture" in md
    assert "| 1 | English | en |" in md and "others (10 languages)" in md
    assert "extra copies 20" in md
    for title in ("## Accounting", "## Filtering funnel", "## Deduplication", "## PII",
                  "## Target vs achieved mixture", "## Stage figures", "### canaries", "## Shards"):
        assert title in md


def test_report_json_is_deterministic_and_has_no_clock(report, rendered):
    again = build_report(None, dict(reversed(list(_stats().items()))), None, MANIFEST)
    assert report_json(again) == rendered[1]["report.json"].decode("utf-8")
    assert render_files(json.loads(rendered[1]["report.json"])) == {
        n: rendered[1][n] for n in ("languages.csv", "report.md", "report.html")}
    text = rendered[1]["report.json"].decode("utf-8")
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)


def test_mixture_report_command_reproduces_the_files(rendered, capsys):
    root, files = rendered
    for name in ("languages.csv", "report.md", "report.html"):
        os.remove(os.path.join(root, "report", name))
    assert main(["report", root]) == 0
    printed = capsys.readouterr().out.split()
    assert len(printed) == 3
    for name, data in files.items():
        assert open(os.path.join(root, "report", name), "rb").read() == data, name
    assert sorted(os.path.basename(p) for p in rerender(root)) == ["languages.csv", "report.html", "report.md"]


def test_mixture_report_on_a_directory_without_report_fails_cleanly(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "report.json" in capsys.readouterr().err
    os.makedirs(tmp_path / "report")
    (tmp_path / "report" / "report.json").write_text('{"report_version": 1}')
    assert main(["report", str(tmp_path)]) == 2


def test_empty_and_strange_runs_render_without_crashing(tmp_path):
    empty = "the mixture is empty: no documents were written"
    cases = [
        ({}, [empty, "read 0 = selected 0 + dropped 0 + rejected 0; written 0 = selected 0 + extra copies 0 "
                     "(balanced)"]),
        ({"read/web": 2, "rejected/web/invalid_json": 2},
         [empty, "read 2 = selected 0 + dropped 0 + rejected 2; written 0 = selected 0 + extra copies 0 (balanced)"]),
        ({"mixture/epochs/web/en": 0.25},
         [empty, "read 0 = selected 0 + dropped 0 + rejected 0; written 0 = selected 0 + extra copies 0 "
                 "(balanced)"]),
        ({"point/final/web/en/docs": 1, "point/final/web/en/tokens": 0},
         ["largest languages of the mixture (share of docs):", "  1. English (en)  100.00%  1 document, 0 tokens",
          "read 0 = selected 0 + dropped 0 + rejected 0; written 1 = selected 0 + extra copies 0 (NOT BALANCED)"]),
    ]
    for stats, lines in cases:
        report = build_report(None, stats, {"read": 0}, {})
        files = render_files(json.loads(report_json(report)))
        assert files["report.html"].startswith(b"<!DOCTYPE html>")
        assert summary_lines(report) == lines
    write_runtime(str(tmp_path), 1.23456, {"read/records": 3})
    assert json.load(open(tmp_path / "report" / "runtime.json"))["seconds"] == 1.235


def test_a_key_no_stat_template_matches_stops_the_report():
    # keys are defined in pipeline/stats.py: a misspelt one fails here instead of vanishing from the report
    from pipeline.stats import UnknownStat

    for key in ("weird", "point/bad", "dropped/x", "dedup/cluster_size/notanumber", "canaries/injected/en/shuffle"):
        with pytest.raises(UnknownStat, match=key):
            build_report(None, {"read/web": 1, key: 1})


# ---------------------------------------------------------------------------- console


def test_summary_lines_five_largest_languages_and_accounting(report):
    lines = summary_lines(report)
    assert lines[0].startswith("largest languages of the mixture")
    assert [l.split()[1] for l in lines[1:6]] == ["English", "German", "French", "Spanish", "Italian"]
    assert "… 55 more languages" in lines[6]
    acct = lines[-1]
    assert acct.startswith("read ") and "= selected" in acct and "+ dropped" in acct and "+ rejected" in acct
    assert "written" in acct and "+ extra copies 20" in acct and acct.endswith("(balanced)")


def test_progress_line_from_counters():
    line = progress_line({"read/records": 1200, "read/rejected": 3, "dedup/kept": 900, "dedup/dropped": 100,
                          "quality/kept": 1000, "quality/dropped": 197, "write/documents": 900, "langid/sampled": 4,
                          "normalize/kept": 1197, "pii/kept": 900, "pii/precheck_skipped": 4})
    assert line == ("read 1,200 (rejected 3) | normalize kept 1,197 | quality kept 1,000 dropped 197 | "
                    "dedup kept 900 dropped 100 | pii kept 900 | written 900")
    assert progress_line({"dedup/exact_kept": 15, "dedup/exact_dropped": 1, "dedup/near_dropped": 11}) == \
        "dedup dropped 12"
    assert progress_line({}) == "starting…"


def test_watch_progress_polls_until_the_runner_is_done():
    from apache_beam.runners.runner import PipelineState

    class Counter:
        def __init__(self, name, value):
            self.committed, self.attempted = value, value
            self.key = type("K", (), {"metric": type("M", (), {"name": name})()})()

    class Result:
        def __init__(self):
            self.polls = 0

        @property
        def state(self):
            return PipelineState.DONE if self.polls >= 2 else PipelineState.RUNNING

        def metrics(self):
            self.polls += 1
            result = self

            class Query:
                def query(self, _filter):
                    return {"counters": [Counter("read/records", 10 * result.polls)]}

            return Query()

        def wait_until_finish(self):
            return PipelineState.DONE

    logged = []
    final = watch_progress(Result(), logged.append, interval=0, sleep=lambda _s: None)
    # two polls while running, one when done, then the final figures after wait_until_finish
    assert logged == ["progress: read 10", "progress: read 20", "progress: read 30", "progress: read 40"]
    assert final == {"read/records": 40}


def _counting_step(x):
    from pipeline.stages.base import count

    count("read", "records").inc()
    count("quality", "kept" if x % 3 else "dropped").inc()
    return x


def test_watch_progress_reads_beam_counters_of_the_local_runner():
    import apache_beam as beam

    from conftest import make_test_pipeline

    p = make_test_pipeline()
    _ = p | beam.Create(range(10)) | beam.Map(_counting_step)
    result = p.run()
    logged = []
    counters = watch_progress(result, logged.append)
    assert counters == {"quality/dropped": 4, "quality/kept": 6, "read/records": 10}
    assert logged == ["progress: read 10 | quality kept 6 dropped 4"]


def test_parallel_control_token_and_canary_sections_appear_only_when_their_stages_ran():
    from pipeline.report.build import build_report
    from pipeline.report.render import report_html
    from pipeline.report.render import report_markdown

    base = {"read/web": 10, "point/final/web/en/docs": 10, "point/final/web/en/tokens": 100}
    plain = build_report(None, dict(base))
    assert plain["parallel"] is None and plain["control_tokens"] is None and plain["canaries"] is None
    assert "## Canaries" not in report_markdown(plain) and 'href="#canaries"' not in report_html(plain)

    stats = dict(base)
    stats.update({"parallel/pairs/de-en/kept": 30, "parallel/pairs/de-en/dropped": 3,
                  "parallel/reasons/de-en/placeholders": 2, "parallel/reasons/de-en/wrong_script_target": 1,
                  "control_tokens/docs/en": 10, "control_tokens/marked/en": 2,
                  "control_tokens/toxicity/low/en": 1, "control_tokens/toxicity/high/en": 1,
                  "canaries/injected_docs/en": 4, "canaries/injected_tokens/en": 400,
                  "canaries/canaries/shuffle/en": 2, "canaries/skipped_languages/sw": 1})
    report = build_report(None, stats)
    assert report["parallel"]["pairs"] == [{"pair": "de-en", "kept": 30, "dropped": 3,
                                            "kept_pct": report["parallel"]["pairs"][0]["kept_pct"],
                                            "reasons": {"placeholders": 2, "wrong_script_target": 1}}]
    assert round(report["parallel"]["pairs"][0]["kept_pct"], 2) == 90.91
    assert report["control_tokens"]["by_level"] == {"high": 1, "low": 1}
    assert report["canaries"]["injected_docs"] == 4 and report["canaries"]["skipped_languages"] == ["sw"]
    md, html = report_markdown(report), report_html(report)
    for title in ("## Parallel data", "## Control tokens", "## Canaries"):
        assert title in md
    assert "| de-en | 30 | 3 | 90.91 | placeholders 2, wrong_script_target 1 |" in md
    for anchor in ("parallel", "control_tokens", "canaries"):
        assert f'id="{anchor}"' in html and f'href="#{anchor}"' in html


def test_script_mismatch_is_counted_in_the_report():
    from pipeline.report.render import report_markdown

    stats = {"read/web": 3, "point/final/web/zh/docs": 2, "point/final/web/zh/tokens": 20,
             "langid/docs": 3, "langid/kept/zh": 2, "langid/kept/und": 1,
             "langid/script_mismatch/ja": 1, "langid/predicted/ja": 1, "langid/predicted/zh": 2}
    report = build_report(None, stats)
    assert report["stages"]["langid"]["script_mismatch/ja"] == 1
    assert "script_mismatch/ja" in report_markdown(report)


def test_each_section_of_the_model_is_rendered_in_both_formats(report):
    from pipeline.report.model import report_sections
    from pipeline.report.render import report_html, report_markdown

    sections = report_sections(json.loads(report_json(report)))
    md, html = report_markdown(report), report_html(report)
    assert [s.anchor for s in sections] == ["accounting", "languages", "sources", "funnel", "dedup", "pii",
                                            "mixture", "stages", "shards"]
    for section in sections:
        assert f"\n## {section.title}\n" in md
        assert f'<section id="{section.anchor}"><h2>{section.title}</h2>' in html
        assert f'<a href="#{section.anchor}">{section.nav}</a>' in html
    # charts only in HTML, folds as headings in Markdown
    assert "<img" not in md and "### Cluster sizes" in md and "<summary>Cluster sizes</summary>" in html
    assert "\n\n\n" not in md


def test_the_templates_ship_as_package_data():
    import fnmatch
    import tomllib

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["pipeline"]
    templates = os.listdir(os.path.join(root, "pipeline", "report", "templates"))
    assert sorted(templates) == ["report.html.j2", "report.md.j2"]
    for name in templates:
        assert any(fnmatch.fnmatch(f"report/templates/{name}", p) for p in patterns), name


def test_decontamination_section_per_file_item_and_language():
    from pipeline.stages.decontamination_core import EvalItem, Matcher, build_index, summarize_matches

    river = ("Which river flows through the old town of Regensburg before it reaches the Black Sea after a long "
             "journey through many countries")
    train = ("A train leaves the station at nine in the morning and travels north at a steady speed of eighty "
             "kilometres an hour")
    index = build_index([EvalItem("quiz", "river", [river]), EvalItem("quiz", "train", [train]),
                         EvalItem("exam", "q/1", [train + " and then stops"])], 13, 10)
    match = Matcher(index, "mark")
    pages = [Doc(id="a", text=f"Intro. {river}", source="web", lang="en", tokens=40),
             Doc(id="b", text=f"Einleitung. {river}", source="web", lang="de", tokens=30),
             Doc(id="c", text=f"{train} and then stops.", source="books", lang="en", tokens=25),
             Doc(id="d", text="Nothing to see here at all.", source="web", lang="en", tokens=6)]
    stats: dict = {}
    audit = []
    for page in pages:
        _doc, figures, records = match(page)
        audit += records
        for key, value in figures:
            stats[key] = stats.get(key, 0) + value
    report = build_report(None, stats)
    d = report["decontamination"]
    assert (d["docs"], d["tokens"], d["actions"]) == (3, 95, ["mark"])
    assert [(i["file"], i["item"], i["docs"], i["tokens"], i["languages"]) for i in d["items"]] == [
        ("quiz", "river", 2, 70, {"de": 1, "en": 1}), ("exam", "q/1", 1, 25, {"en": 1}),
        ("quiz", "train", 1, 25, {"en": 1})]
    # the same figures as the audit's own summary (decontamination/summary.json)
    assert sorted((i["file"], i["item"], i["docs"], i["tokens"]) for i in d["items"]) == sorted(
        (i["file"], i["item"], i["docs"], i["tokens"]) for i in summarize_matches(audit)["items"])
    assert d["files"] == [
        {"file": "exam", "items_contaminated": 1, "docs": 1, "tokens": 25, "languages": {"en": {"docs": 1, "tokens": 25}}},
        {"file": "quiz", "items_contaminated": 2, "docs": 3, "tokens": 95,
         "languages": {"de": {"docs": 1, "tokens": 30}, "en": {"docs": 2, "tokens": 65}}}]
    assert d["audit"] == "decontamination/matches.jsonl"
    md = render_files(json.loads(report_json(report)))["report.md"].decode("utf-8")
    html = render_files(json.loads(report_json(report)))["report.html"].decode("utf-8")
    assert "3 documents (95 tokens) overlapped 3 evaluation items and were marked in their metadata." in md
    assert "| quiz | river | 2 | 70 | 20 | de 1, en 1 |" in md
    assert "| exam | English | en | 1 | 25 |" in md
    assert '<a href="../decontamination/matches.jsonl">decontamination/matches.jsonl</a>' in html
    assert 'href="#decontamination"' in html
    assert build_report(None, {"read/web": 1})["decontamination"] is None
