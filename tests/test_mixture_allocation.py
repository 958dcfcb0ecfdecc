"""Allocation: source weights, language sampling (natural / explicit / temperature /
UniMax), the epoch cap and the shortfall modes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config.mixture import MixtureConfig
from pipeline.mixture.allocation import (
    BucketCounts,
    ShortfallError,
    allocate,
    apply_share_bounds,
    explicit_shares,
    natural_shares,
    temperature_shares,
    unimax_allocation,
    unimax_shares,
)
from pipeline.mixture.budget import plan_budget
from pipeline.mixture.sampling import copies_for


def mixture(**kw) -> MixtureConfig:
    return MixtureConfig.model_validate(kw)


def targets(allocation) -> dict:
    return {(b.source, b.lang): b.target_tokens for b in allocation.buckets}


# ------------------------------------------------------------------ UniMax


def test_unimax_worked_example():
    # docs/mixture.md's UniMax example: budget 250e9, N = 4; fao and isl are small.
    sizes = {"en": 2.0e12, "de": 4.0e11, "fr": 3.0e11, "isl": 6.0e9, "fao": 1.0e8}
    u = unimax_allocation(sizes, 250e9, 4)
    assert u["fao"] == 4 * 1.0e8  # exactly 4 epochs
    assert u["isl"] == 4 * 6.0e9
    rest = (250e9 - 4e8 - 24e9) / 3
    for lang in ("en", "de", "fr"):
        assert u[lang] == pytest.approx(rest)  # the large ones split the rest equally
    assert math.fsum(u.values()) == pytest.approx(250e9)
    p = unimax_shares(sizes, 250e9, 4)
    assert math.fsum(p.values()) == pytest.approx(1.0)
    assert p["en"] == pytest.approx(rest / 250e9)


def test_unimax_uniform_when_nothing_is_capped_and_all_capped_when_budget_is_huge():
    sizes = {"a": 100.0, "b": 200.0, "c": 300.0}
    assert unimax_allocation(sizes, 90, 4) == {"a": 30, "b": 30, "c": 30}
    assert unimax_allocation(sizes, 1e9, 2) == {"a": 200, "b": 400, "c": 600}


def test_unimax_in_allocate_with_epoch_cap():
    sizes = {"en": 2.0e12, "de": 4.0e11, "fr": 3.0e11, "isl": 6.0e9, "fao": 1.0e8}
    cfg = mixture(budget={"tokens": 250e9}, languages={"sampling": "unimax", "max_epochs": 4})
    alloc = allocate({("web", k): int(v) for k, v in sizes.items()}, cfg, plan_budget(tokens=250e9))
    assert alloc.bucket("web", "fao").epochs == 4.0
    assert alloc.bucket("web", "isl").epochs == 4.0
    assert alloc.total_target_tokens == pytest.approx(250e9)
    assert max(b.epochs for b in alloc.buckets) <= 4.0


# ------------------------------------------------------------------ temperature / natural / explicit


def test_temperature_alpha_one_is_natural():
    sizes = {"en": 7000.0, "de": 2000.0, "sw": 10.0, "zh": 990.0}
    t = temperature_shares(sizes, 1.0)
    n = natural_shares(sizes)
    for lang in sizes:
        assert t[lang] == pytest.approx(n[lang])
    assert n["en"] == pytest.approx(0.7)


def test_temperature_alpha_to_zero_is_uniform():
    sizes = {"en": 1e9, "de": 1e6, "sw": 10.0, "none": 0.0}
    t = temperature_shares(sizes, 1e-9)
    for lang in ("en", "de", "sw"):
        assert t[lang] == pytest.approx(1 / 3, rel=1e-6)
    assert t["none"] == 0.0


def test_temperature_default_alpha_flattens():
    sizes = {"en": 1e6, "sw": 1e3}
    t = temperature_shares(sizes, 0.3)
    assert t["sw"] == pytest.approx(1e3 ** 0.3 / (1e6 ** 0.3 + 1e3 ** 0.3))
    assert natural_shares(sizes)["sw"] < t["sw"] < 0.5
    with pytest.raises(ValueError):
        temperature_shares(sizes, 0)


def test_explicit_shares():
    shares = explicit_shares({"en": 10.0, "de": 10.0, "fr": 5.0}, {"en": 3, "de": 1, "ja": 1})
    assert shares == {"de": 0.2, "en": 0.6, "fr": 0.0, "ja": 0.2}


def test_share_bounds_water_filling():
    p = {"en": 0.9, "de": 0.06, "sw": 0.04}
    out = apply_share_bounds(p, {"en": (0.0, 0.5), "sw": (0.1, 1.0)})
    # en pinned at 0.5; the other half split 3:2 as before, sw (0.2) already above 0.1
    assert out == {"de": pytest.approx(0.3), "en": pytest.approx(0.5), "sw": pytest.approx(0.2)}
    out = apply_share_bounds(p, {"en": (0.0, 0.5), "sw": (0.25, 1.0)})
    assert out["en"] == pytest.approx(0.5)
    assert out["sw"] == pytest.approx(0.25)
    assert out["de"] == pytest.approx(0.25)
    assert math.fsum(out.values()) == pytest.approx(1.0)
    # infeasible upper bounds: everybody at the bound, the rest unallocated
    assert apply_share_bounds({"a": 1.0}, {"a": (0.0, 0.5)}) == {"a": 0.5}
    # lower bounds above 1 are scaled down
    out = apply_share_bounds({"a": 0.5, "b": 0.5}, {"a": (0.8, 1.0), "b": (0.8, 1.0)})
    assert out == {"a": 0.5, "b": 0.5}


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(list("abcdefgh")), st.floats(min_value=0.001, max_value=1e6),
                       min_size=2, max_size=8),
       st.floats(min_value=0.0, max_value=0.1), st.floats(min_value=0.5, max_value=1.0))
def test_share_bounds_property(sizes, lo, hi):
    p = natural_shares(sizes)
    out = apply_share_bounds(p, {k: (lo, hi) for k in p})
    assert math.fsum(out.values()) == pytest.approx(1.0)
    for v in out.values():
        assert lo - 1e-7 <= v <= hi + 1e-7


# ------------------------------------------------------------------ weights, caps, shortfall


def test_source_weights_and_natural_languages():
    available = {("web", "en"): 600, ("web", "de"): 400, ("code", "und"): 1000}
    alloc = allocate(available, mixture(budget={"tokens": 1000}, weights={"web": 3, "code": 1}),
                     plan_budget(tokens=1000))
    t = targets(alloc)
    assert t[("web", "en")] == pytest.approx(450)
    assert t[("web", "de")] == pytest.approx(300)
    assert t[("code", "und")] == pytest.approx(250)
    assert [s.weight for s in alloc.sources] == [0.25, 0.75]


def test_without_weights_sources_are_natural():
    available = {("a", "en"): 300, ("b", "en"): 100}
    alloc = allocate(available, mixture(budget={"tokens": 200}), plan_budget(tokens=200))
    assert targets(alloc) == {("a", "en"): pytest.approx(150), ("b", "en"): pytest.approx(50)}


def test_no_budget_keeps_everything_once():
    available = {("web", "en"): BucketCounts(3, 30, 100, 120), ("web", "de"): BucketCounts(1, 5, 10, 10)}
    alloc = allocate(available, mixture(weights={"web": 1}), None)
    assert all(b.rate == 1.0 for b in alloc.buckets)
    assert alloc.rate("unknown", "xx") == 1.0
    assert alloc.warnings  # weights without a budget are reported as ignored


def test_max_epochs_redistribute_within_source():
    # small language would need 10 epochs; capped at 2, the excess goes to 'en'
    available = {("web", "en"): 10_000, ("web", "sw"): 10}
    cfg = mixture(budget={"tokens": 200}, max_epochs=2, languages={"sampling": "explicit",
                                                                  "shares": {"en": 1, "sw": 1}})
    alloc = allocate(available, cfg, plan_budget(tokens=200))
    sw, en = alloc.bucket("web", "sw"), alloc.bucket("web", "en")
    assert sw.target_tokens == 20 and sw.epochs == 2.0 and sw.capped
    assert sw.shortfall_tokens == pytest.approx(80)
    assert en.target_tokens == pytest.approx(180)
    assert alloc.total_target_tokens == pytest.approx(200)


def test_shrink_keeps_composition():
    available = {("web", "en"): 10_000, ("web", "sw"): 10}
    cfg = mixture(budget={"tokens": 200}, max_epochs=2, on_shortfall="shrink",
                  languages={"sampling": "explicit", "shares": {"en": 1, "sw": 1}})
    alloc = allocate(available, cfg, plan_budget(tokens=200))
    assert alloc.bucket("web", "sw").target_tokens == pytest.approx(20)
    assert alloc.bucket("web", "en").target_tokens == pytest.approx(20)  # same 50/50 split
    assert alloc.total_target_tokens == pytest.approx(40)
    assert any("shrunk" in w for w in alloc.warnings)


def test_error_mode():
    available = {("web", "en"): 10_000, ("web", "sw"): 10}
    cfg = mixture(budget={"tokens": 200}, max_epochs=2, on_shortfall="error",
                  languages={"sampling": "explicit", "shares": {"en": 1, "sw": 1}})
    with pytest.raises(ShortfallError, match="web/sw"):
        allocate(available, cfg, plan_budget(tokens=200))
    # enough data: no error
    allocate({("web", "en"): 10_000, ("web", "sw"): 1000}, cfg, plan_budget(tokens=200))


def test_redistribute_cannot_cross_sources():
    # 'small' source wants 500 tokens but has 100 and a cap of 4 epochs -> 400; 100 short
    available = {("big", "en"): 10_000, ("small", "en"): 100}
    cfg = mixture(budget={"tokens": 1000}, weights={"big": 1, "small": 1})
    alloc = allocate(available, cfg, plan_budget(tokens=1000))
    assert alloc.bucket("small", "en").target_tokens == pytest.approx(400)
    assert alloc.bucket("big", "en").target_tokens == pytest.approx(500)
    assert any("small" in w for w in alloc.warnings)


def test_weighted_source_without_data_is_a_shortfall_not_an_error():
    cfg = mixture(budget={"tokens": 100}, weights={"web": 1, "books": 1})
    alloc = allocate({("web", "en"): 1000}, cfg, plan_budget(tokens=100), sources=["web", "books"])
    books = [s for s in alloc.sources if s.source == "books"][0]
    assert books.target_tokens == 0 and books.shortfall_tokens == pytest.approx(50)
    assert alloc.bucket("web", "en").target_tokens == pytest.approx(50)


def test_unlisted_source_and_explicit_language_are_excluded():
    available = {("web", "en"): 100, ("web", "fr"): 100, ("code", "und"): 100}
    cfg = mixture(budget={"tokens": 100}, weights={"web": 1},
                  languages={"sampling": "explicit", "shares": {"en": 1}})
    alloc = allocate(available, cfg, plan_budget(tokens=100))
    assert alloc.rate("web", "en") == 1.0
    assert alloc.rate("web", "fr") == 0.0
    assert alloc.rate("code", "und") == 0.0


def test_per_source_override():
    available = {("web", "en"): 900, ("web", "sw"): 100, ("code", "py"): 500, ("code", "js"): 500}
    cfg = mixture(budget={"tokens": 1000}, weights={"web": 1, "code": 1},
                  languages={"sampling": "unimax", "per_source": {"code": {"sampling": "explicit",
                                                                           "shares": {"py": 4, "js": 1}}}})
    alloc = allocate(available, cfg, plan_budget(tokens=1000))
    t = targets(alloc)
    assert t[("web", "en")] == pytest.approx(250) and t[("web", "sw")] == pytest.approx(250)
    assert t[("code", "py")] == pytest.approx(400) and t[("code", "js")] == pytest.approx(100)


def test_min_max_share_in_allocate():
    available = {("web", "en"): 9000, ("web", "de"): 900, ("web", "sw"): 100}
    cfg = mixture(budget={"tokens": 1000}, languages={"max_share": 0.5, "per_language": {"sw": {"min_share": 0.1}}})
    alloc = allocate(available, cfg, plan_budget(tokens=1000))
    t = targets(alloc)
    assert t[("web", "en")] == pytest.approx(500)
    assert t[("web", "sw")] == pytest.approx(100)
    assert t[("web", "de")] == pytest.approx(400)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.tuples(st.sampled_from(["web", "books", "code"]), st.sampled_from(["en", "de", "sw", "zh"])),
                       st.integers(min_value=0, max_value=10**7), min_size=1, max_size=12),
       st.floats(min_value=1, max_value=1e8), st.sampled_from(["natural", "temperature", "unimax"]),
       st.floats(min_value=0.5, max_value=8), st.sampled_from(["redistribute", "shrink"]))
def test_epochs_never_exceed_cap(available, budget, sampling, cap, mode):
    cfg = mixture(budget={"tokens": budget}, max_epochs=cap, on_shortfall=mode,
                  languages={"sampling": sampling, "max_epochs": 4})
    alloc = allocate(available, cfg, plan_budget(tokens=budget))
    for b in alloc.buckets:
        assert b.epochs <= cap * (1 + 1e-9)
        if mode == "shrink":  # shrink scales every bucket down: none gets more than planned
            assert b.target_tokens <= b.planned_tokens * (1 + 1e-9) + 1e-6
    # redistribute moves tokens between the languages of one source, never across sources
    for s in alloc.sources:
        assert s.target_tokens <= s.planned_tokens * (1 + 1e-9) + 1e-6
    assert alloc.total_target_tokens <= budget * (1 + 1e-9)


def test_allocation_is_deterministic_regardless_of_input_order():
    items = [(("web", f"l{i}"), 1000 + 37 * i) for i in range(30)]
    cfg = mixture(budget={"tokens": 20_000}, languages={"sampling": "unimax", "max_epochs": 2})
    a = allocate(dict(items), cfg, plan_budget(tokens=20_000))
    b = allocate(dict(reversed(items)), cfg, plan_budget(tokens=20_000))
    assert a.to_dict() == b.to_dict()


# ------------------------------------------------------------------ end to end on a synthetic corpus


def test_weights_respected_on_a_synthetic_corpus():
    """Thousands of documents of varying length: achieved token shares per source and
    language land within one percentage point of their targets."""
    docs = []
    spec = {("web", "en"): 3000, ("web", "de"): 1500, ("web", "sw"): 60, ("books", "en"): 800, ("code", "und"): 1200}
    for (source, lang), n in spec.items():
        for i in range(n):
            docs.append((f"{source}-{lang}-{i}", source, lang, 50 + (i * 7919) % 400))
    available: dict = {}
    for _, source, lang, tokens in docs:
        available[(source, lang)] = available.get((source, lang), 0) + tokens
    budget = 0.8 * sum(available.values())
    cfg = mixture(budget={"tokens": budget}, weights={"web": 0.6, "books": 0.25, "code": 0.15},
                  languages={"sampling": "temperature", "alpha": 0.3})
    alloc = allocate(available, cfg, plan_budget(tokens=budget))
    achieved: dict = {}
    for doc_id, source, lang, tokens in docs:
        n = copies_for(1234, doc_id, alloc.rate(source, lang))
        achieved[(source, lang)] = achieved.get((source, lang), 0) + n * tokens
    total = sum(achieved.values())
    target_total = alloc.total_target_tokens
    for b in alloc.buckets:
        assert abs(achieved[(b.source, b.lang)] / total - b.target_tokens / target_total) < 0.01
        assert b.epochs <= 4
    per_source = {s: sum(v for (src, _), v in achieved.items() if src == s) / total for s in ("web", "books", "code")}
    assert per_source["web"] == pytest.approx(0.6, abs=0.01)
    assert per_source["books"] == pytest.approx(0.25, abs=0.01)
    assert per_source["code"] == pytest.approx(0.15, abs=0.01)


@settings(max_examples=100, deadline=None)
@given(
    available=st.dictionaries(st.tuples(st.sampled_from(["web", "code"]), st.sampled_from(["en", "de", "sw", "th"])),
                              st.integers(min_value=0, max_value=10**6), max_size=8),
    budget=st.floats(min_value=1, max_value=1e7),
    sampling=st.sampled_from(["natural", "explicit", "temperature", "unimax"]),
    shares=st.dictionaries(st.sampled_from(["en", "de", "sw", "xx"]), st.floats(min_value=0.01, max_value=5),
                           min_size=1, max_size=4),
    max_share=st.floats(min_value=0.2, max_value=1.0),
    sw_min=st.floats(min_value=0.0, max_value=0.2),
    mode=st.sampled_from(["redistribute", "shrink"]),
    weights=st.sampled_from([{}, {"web": 2.0, "code": 1.0}, {"web": 1.0}]),
)
def test_allocate_never_fails_and_respects_caps(available, budget, sampling, shares, max_share, sw_min, mode,
                                                weights):
    cfg = mixture(budget={"tokens": budget}, weights=weights, on_shortfall=mode,
                  languages={"sampling": sampling, "shares": shares, "max_share": max_share,
                             "per_language": {"sw": {"min_share": sw_min}}})
    alloc = allocate(available, cfg, plan_budget(tokens=budget), sources=["web", "code"])
    for b in alloc.buckets:
        assert b.rate >= 0 and b.target_tokens >= 0
        assert b.epochs <= 4.0 * (1 + 1e-9)
        if b.available_tokens == 0:
            assert b.target_tokens == 0
    for s in alloc.sources:
        assert s.target_tokens <= s.planned_tokens * (1 + 1e-9) + 1e-6
    assert alloc.total_target_tokens <= budget * (1 + 1e-9)
    as_dict = alloc.to_dict()
    assert [(d["source"], d["lang"], d["target_tokens"]) for d in as_dict["buckets"]] == [
        (b.source, b.lang, b.target_tokens) for b in alloc.buckets]
    assert as_dict["total_target_tokens"] == alloc.total_target_tokens


def test_shrink_marks_only_the_binding_bucket_as_capped():
    available = {("web", "en"): 10_000, ("web", "sw"): 10}
    cfg = mixture(budget={"tokens": 200}, max_epochs=2, on_shortfall="shrink",
                  languages={"sampling": "explicit", "shares": {"en": 1, "sw": 1}})
    alloc = allocate(available, cfg, plan_budget(tokens=200))
    assert alloc.bucket("web", "sw").capped
    assert not alloc.bucket("web", "en").capped
