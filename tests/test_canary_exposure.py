"""Canary exposure: rank, skew-normal fit and tail CDF, grouping, and the CLI command."""

import argparse
import json
import math

import numpy as np
import pytest

from pipeline import canaries_cli
from pipeline import canary_exposure as ce


# ---------------------------------------------------------------------------- rank


def test_rank_exposure_follows_the_definition():
    candidates = [float(x) for x in range(1, 16)]  # 15 candidates, |R| = 16
    assert ce.rank_of(0.5, candidates) == 1
    assert ce.rank_exposure(0.5, candidates) == pytest.approx(4.0)  # log2 16 - log2 1
    assert ce.rank_exposure(7.5, candidates) == pytest.approx(4.0 - 3.0)  # rank 8
    assert ce.rank_exposure(100.0, candidates) == pytest.approx(0.0)
    # ties count against the canary
    assert ce.rank_of(3.0, candidates) == 4


# ---------------------------------------------------------------------------- skew-normal


def test_normal_log_cdf_matches_known_values():
    assert ce.skew_normal_log_cdf(0.0, 0.0) == pytest.approx(math.log(0.5), abs=1e-9)
    assert ce.skew_normal_log_cdf(-1.96, 0.0) == pytest.approx(math.log(0.0249979), rel=1e-5)
    # alpha > 0 and z = 0: P = 1/2 - arctan(alpha)/pi
    for alpha in (1.0, 3.0, -2.0):
        expected = 0.5 - math.atan(alpha) / math.pi
        assert ce.skew_normal_log_cdf(0.0, alpha) == pytest.approx(math.log(expected), rel=1e-6)
    assert ce.skew_normal_log_cdf(50.0, 2.0) == 0.0
    assert ce.skew_normal_log_cdf(-math.inf, 2.0) == -math.inf


def test_far_tail_keeps_its_precision():
    # log Φ(-40) ≈ -804.608; a plain erfc would underflow to -inf
    assert ce.skew_normal_log_cdf(-40.0, 0.0) == pytest.approx(-804.6084420137538, rel=1e-6)
    value = ce.skew_normal_log_cdf(-10.0, 10.0)
    assert math.isfinite(value) and value < -5000


def test_agrees_with_scipy_where_scipy_is_accurate():
    from scipy import stats
    for alpha in (0.0, 0.7, 4.0, -4.0):
        for z in (-6.0, -2.0, 0.3, 2.5):
            assert ce.skew_normal_log_cdf(z, alpha) == pytest.approx(float(stats.skewnorm.logcdf(z, alpha)),
                                                                     rel=1e-6, abs=1e-9)


def test_method_of_moments_recovers_parameters():
    # a deterministic sample: skew-normal quantiles would need scipy, so use a known
    # construction: Z = delta |U| + sqrt(1 - delta^2) V with U, V standard normal
    rng = np.random.default_rng(7)
    delta = 0.9
    z = delta * np.abs(rng.standard_normal(40_000)) + math.sqrt(1 - delta**2) * rng.standard_normal(40_000)
    fit = ce.fit_skew_normal(10.0 + 2.0 * z)
    assert fit.delta == pytest.approx(delta, abs=0.03)
    assert fit.xi == pytest.approx(10.0, abs=0.1) and fit.omega == pytest.approx(2.0, abs=0.1)
    with pytest.raises(ce.ExposureError):
        ce.fit_skew_normal([1.0, 1.0, 1.0])
    with pytest.raises(ce.ExposureError):
        ce.fit_skew_normal([1.0, 2.0])


# ---------------------------------------------------------------------------- one canary


CANDIDATES = [5.0 + 0.1 * i for i in range(100)]


def test_auto_uses_rank_inside_the_sample_and_fit_beyond_it():
    inside = ce.exposure_of("c", 7.05, CANDIDATES)
    assert inside.method == "rank" and inside.exposure == pytest.approx(inside.rank_exposure)
    beyond = ce.exposure_of("c", 1.0, CANDIDATES)
    assert beyond.method == "fit" and beyond.exposure > math.log2(101)
    capped = ce.exposure_of("c", 1.0, CANDIDATES, log2_space_size=8.0)
    assert capped.exposure == 8.0
    assert ce.exposure_of("c", 1.0, CANDIDATES, method="rank").exposure == pytest.approx(math.log2(101))
    assert ce.exposure_of("c", 7.05, CANDIDATES, method="fit").method == "fit"


@pytest.mark.parametrize("canary, candidates, method", [
    (math.nan, [1.0], "auto"), (1.0, [], "auto"), (1.0, [1.0, math.inf], "auto"),
    (1.0, [1.0, 2.0, 3.0], "fit"), (1.0, [1.0], "bogus"),
])
def test_bad_scores_raise(canary, candidates, method):
    with pytest.raises(ce.ExposureError):
        ce.exposure_of("c", canary, candidates, method=method)


def test_summaries_per_group():
    rows = [{"exposure": 1.0, "lang": "en", "repetitions": 1}, {"exposure": 3.0, "lang": "en", "repetitions": 25},
            {"exposure": 5.0, "lang": "th", "repetitions": 5}, {"exposure": 2.0, "lang": None, "repetitions": 5}]
    groups = ce.summarize(rows, ("lang", "repetitions", "bin"))
    assert groups["lang"] == [{"lang": "en", "canaries": 2, "mean": 2.0, "median": 2.0, "max": 3.0},
                              {"lang": "th", "canaries": 1, "mean": 5.0, "median": 5.0, "max": 5.0}]
    assert [g["repetitions"] for g in groups["repetitions"]] == ["1", "5", "25"]  # numeric order
    assert "bin" not in groups


# ---------------------------------------------------------------------------- command line


def _args(argv):
    parser = argparse.ArgumentParser(prog="mixture")
    canaries_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_cli_prints_per_canary_and_per_group(tmp_path, capsys):
    manifest = _write(tmp_path / "manifest.jsonl", [
        {"id": "a1", "type": "shuffle", "lang": "th", "bin": "small", "repetitions": 25},
        {"id": "b2", "type": "random", "lang": "en", "bin": "large", "repetitions": 1},
    ])
    candidates = _write(tmp_path / "cands.jsonl", [{"format": "random/en", "log_perplexities": CANDIDATES,
                                                    "log2_space_size": 30.0}])
    scores = _write(tmp_path / "scores.jsonl", [
        {"id": "a1", "log_perplexity": 1.0, "candidates": CANDIDATES},
        {"id": "b2", "log_perplexity": 9.0, "format": "random/en"},
    ])
    args = _args(["canaries", "exposure", scores, "--candidates", candidates, "--manifest", manifest, "--json"])
    assert canaries_cli.main(args) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {r["id"]: r for r in report["canaries"]}
    assert rows["a1"]["lang"] == "th" and rows["a1"]["method"] == "fit" and rows["a1"]["exposure"] > 6.6
    assert rows["b2"]["log2_space_size"] == 30.0 and rows["b2"]["rank"] == 42  # 40 lower + 1 tie (5.0 + 0.1 * 40), ties count against
    assert {g["lang"] for g in report["groups"]["lang"]} == {"en", "th"}
    assert canaries_cli.main(_args(["canaries", "exposure", scores, "--candidates", candidates])) == 0
    text = capsys.readouterr().out
    assert "by lang" not in text and "a1" in text and "exposure" in text


@pytest.mark.parametrize("lines, extra, message", [
    (["{not json"], [], "invalid JSON"),
    ([{"id": "a", "log_perplexity": "x", "candidates": [1]}], [], "finite number"),
    ([{"id": "a", "log_perplexity": 1.0}], [], "no candidates"),
    ([{"id": "a", "log_perplexity": 1.0, "candidates": []}], [], "non-empty list"),
    ([{"id": "a", "log_perplexity": 1.0, "candidates": [2.0]}] * 2, [], "scored twice"),
    ([{"log_perplexity": 1.0, "candidates": [2.0]}], [], "'id'"),
    ([{"id": "zz", "log_perplexity": 1.0, "candidates": [2.0]}], ["--manifest"], "not in the manifest"),
    ([{"id": "a", "log_perplexity": 1.0, "candidates": [2.0, 3.0]}], ["--method", "fit"], "a fit needs"),
    ([], [], "no records"),
])
def test_cli_errors_exit_2_with_one_line(tmp_path, capsys, lines, extra, message):
    scores = _write(tmp_path / "scores.jsonl", lines)
    if extra == ["--manifest"]:
        extra = ["--manifest", _write(tmp_path / "m.jsonl", [{"id": "a1", "lang": "en"}])]
    assert canaries_cli.main(_args(["canaries", "exposure", scores, *extra])) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("mixture: error:") and "Traceback" not in err


def test_cli_missing_file_exits_2(tmp_path, capsys):
    assert canaries_cli.main(_args(["canaries", "exposure", str(tmp_path / "nope.jsonl")])) == 2
    assert "cannot read" in capsys.readouterr().err
