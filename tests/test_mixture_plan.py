"""`mixture plan`: the table / JSON, budgets from the command line, counts from a
finished run's stats or from a counting-only run."""

from __future__ import annotations

import io
import json

import pytest

from pipeline.config import ConfigError
from pipeline.mixture.allocation import BucketCounts
from pipeline.mixture.plan import available_from_stats, load_run_stats
from pipeline.plan_cli import run_plan

STATS = {
    "mixture/available_docs/web/en": 100, "mixture/available_tokens/web/en": 60_000,
    "mixture/available_chars/web/en": 300_000, "mixture/available_bytes/web/en": 300_000,
    "mixture/available_docs/web/sw": 5, "mixture/available_tokens/web/sw": 1_000,
    "mixture/available_docs/code/und": 40, "mixture/available_tokens/code/und": 40_000,
    "mixture/target_tokens/web/en": 1, "read/web": 105,
}


def _write_config(tmp_path, mixture_yaml: str, sources_yaml: str | None = None) -> str:
    sources_yaml = sources_yaml or (
        "  - {name: web, paths: [\"web/*.jsonl\"]}\n"
        "  - {name: code, paths: [\"code/*.jsonl\"]}\n"
    )
    path = tmp_path / "mix.yaml"
    path.write_text(f"name: t\nseed: 1\nsources:\n{sources_yaml}mixture:\n{mixture_yaml}", encoding="utf-8")
    return str(path)


def _run_dir(tmp_path, stats=STATS) -> str:
    out = tmp_path / "out"
    (out / "_run").mkdir(parents=True)
    (out / "_run" / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    return str(out)


def test_available_from_stats_prefers_mixture_keys():
    got = available_from_stats(STATS)
    assert got[("web", "en")] == BucketCounts(100, 60_000, 300_000, 300_000)
    assert got[("code", "und")].tokens == 40_000
    assert len(got) == 3


def test_available_from_point_stats():
    stats = {"point/filtered/web/zh-Hans/docs": 3, "point/filtered/web/zh-Hans/tokens": 30,
             "point/input/web/zh-Hans/tokens": 99, "point/filtered/books/en/tokens": 7}
    got = available_from_stats(stats)
    assert got == {("books", "en"): BucketCounts(0, 7, 0, 0), ("web", "zh-Hans"): BucketCounts(3, 30, 0, 0)}


def test_load_run_stats_variants(tmp_path):
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "report.json").write_text(json.dumps({"stats": {"a": 1}}))
    assert load_run_stats(str(tmp_path)) == {"a": 1}
    with pytest.raises(FileNotFoundError):
        load_run_stats(str(tmp_path / "nothing"))


def test_plan_table_from_a_previous_run(tmp_path):
    config = _write_config(tmp_path, "  budget: {tokens: 50000}\n  weights: {web: 3, code: 1}\n"
                                     "  languages: {sampling: unimax, max_epochs: 4}\n")
    out, err = io.StringIO(), io.StringIO()
    assert run_plan(config, from_dir=_run_dir(tmp_path), out=out, err=err) == 0
    text = out.getvalue()
    assert "D = 5e+04 tokens" in text
    assert "N = 2500 parameters" in text
    lines = {tuple(line.split()[:2]): line for line in text.splitlines() if line.startswith(("web", "code"))}
    assert "4.000" in lines[("web", "sw")]  # 1000 tokens x 4 epochs (UniMax cap)
    assert "33.5k" in lines[("web", "en")]  # 37.5k - 4k
    assert "12.5k" in lines[("code", "und")]
    assert "TOTAL" in text


def test_plan_json_with_compute_override(tmp_path):
    config = _write_config(tmp_path, "  budget: {tokens: 50000}\n")
    out = io.StringIO()
    assert run_plan(config, from_dir=_run_dir(tmp_path), compute_flops=1e22, as_json=True, out=out) == 0
    data = json.loads(out.getvalue())
    assert f"{data['budget']['params']:.3g}" == "9.13e+09"
    assert f"{data['budget']['tokens']:.3g}" == "1.83e+11"
    buckets = {(b["source"], b["lang"]): b for b in data["buckets"]}
    # the data is far too small for that budget: every bucket capped at 4 epochs
    assert all(b["epochs"] == 4.0 for b in buckets.values())
    assert buckets[("web", "en")]["shortfall_tokens"] > 0
    assert data["counts_from"].endswith("out")


def test_plan_without_budget(tmp_path):
    config = _write_config(tmp_path, "  shards: {count: 2}\n")
    out = io.StringIO()
    assert run_plan(config, from_dir=_run_dir(tmp_path), out=out) == 0
    assert "every document is kept once" in out.getvalue()


def test_plan_shortfall_error_exit_code(tmp_path):
    config = _write_config(tmp_path, "  budget: {tokens: 1.0e9}\n  on_shortfall: error\n")
    err = io.StringIO()
    assert run_plan(config, from_dir=_run_dir(tmp_path), out=io.StringIO(), err=err) == 1
    assert "web/en" in err.getvalue() and "code/und" in err.getvalue()


def test_plan_missing_stats_and_bad_config(tmp_path):
    config = _write_config(tmp_path, "  budget: {tokens: 10}\n")
    err = io.StringIO()
    assert run_plan(config, from_dir=str(tmp_path / "nope"), out=io.StringIO(), err=err) == 1
    assert "no stats" in err.getvalue()
    bad = _write_config(tmp_path, "  budget: {tokens: -1}\n")
    with pytest.raises(ConfigError):
        run_plan(bad, from_dir=str(tmp_path))


def test_counting_only_run(tmp_path, monkeypatch):
    """Without --from the plan reads the sources and counts them on the local runner."""
    (tmp_path / "web").mkdir()
    (tmp_path / "code").mkdir()
    (tmp_path / "web" / "a.jsonl").write_text(
        "\n".join(json.dumps({"id": f"w{i}", "text": "one two three four five"}) for i in range(10)) + "\n"
        + "{not json\n", encoding="utf-8")
    (tmp_path / "code" / "b.jsonl").write_text(
        "\n".join(json.dumps({"id": f"c{i}", "text": "你好世界"}) for i in range(5)) + "\n", encoding="utf-8")
    config = _write_config(
        tmp_path,
        "  budget: {tokens: 200}\n  weights: {web: 1, code: 1}\n  tokenizer: {tokens_per_word: 1.0}\n",
    )
    text = (tmp_path / "mix.yaml").read_text()
    text = text.replace("mixture:\n", "langid: {enabled: false}\nquality: {enabled: false}\n"
                                      "dedup: {enabled: false}\npii: {enabled: false}\nmixture:\n")
    (tmp_path / "mix.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert run_plan(config, as_json=True, out=out) == 0
    data = json.loads(out.getvalue())
    buckets = {(b["source"], b["lang"]): b for b in data["buckets"]}
    assert buckets[("web", "und")]["available_tokens"] == 50  # 10 docs x 5 words
    assert buckets[("web", "und")]["available_docs"] == 10
    assert buckets[("code", "und")]["available_tokens"] == 20  # 5 docs x 4 Han characters
    assert buckets[("web", "und")]["epochs"] == 2.0
    assert buckets[("code", "und")]["epochs"] == 4.0  # 100 wanted, 80 allowed by the cap


def test_mixture_summary_from_run_stats():
    from pipeline.mixture.plan import mixture_summary

    stats = {
        "mixture/budget_tokens": 300,
        "mixture/available_tokens/web/en": 100, "mixture/target_tokens/web/en": 200,
        "mixture/written_tokens/web/en": 210, "mixture/copies/web/en": 10, "mixture/epochs/web/en": 2.0,
        "mixture/available_tokens/code/und": 100, "mixture/target_tokens/code/und": 100,
        "mixture/written_tokens/code/und": 90, "mixture/epochs/code/und": 1.0,
        "point/final/web/en/tokens": 5,
    }
    summary = mixture_summary(stats)
    assert summary["budget_tokens"] == 300
    rows = {(b["source"], b["lang"]): b for b in summary["buckets"]}
    web = rows[("web", "en")]
    assert web["target_share"] == pytest.approx(2 / 3)
    assert web["achieved_share"] == pytest.approx(0.7)
    assert web["share_error_pp"] == pytest.approx(100 * (0.7 - 2 / 3))
    assert web["achieved_epochs"] == pytest.approx(2.1)
    assert web["copies"] == 10
    assert [s["source"] for s in summary["sources"]] == ["code", "web"]
    assert mixture_summary({})["buckets"] == []
