"""Per-document sampling: keyed, reproducible, exact in expectation; exact mode."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.mixture.sampling import (
    ExactCut,
    copies_for,
    copy_id,
    exact_cut,
    make_copies,
    rank_key,
    sample_doc,
)
from pipeline.records import Doc


def test_integer_rates_are_exact():
    for rate, n in ((0.0, 0), (1.0, 1), (2.0, 2), (4.0, 4)):
        assert all(copies_for(1, f"d{i}", rate) == n for i in range(200))


def test_fractional_rate_is_floor_or_floor_plus_one_and_right_on_average():
    rate = 2.3
    counts = [copies_for(11, f"doc-{i}", rate) for i in range(20_000)]
    assert set(counts) == {2, 3}
    assert abs(sum(counts) / len(counts) - rate) < 0.01


def test_deterministic_and_seed_dependent():
    ids = [f"x{i}" for i in range(2000)]
    a = [copies_for(5, i, 0.5) for i in ids]
    assert a == [copies_for(5, i, 0.5) for i in ids]
    assert a != [copies_for(6, i, 0.5) for i in ids]


def test_monotone_in_rate():
    # a document sampled at rate r is also sampled at any higher rate (nested samples)
    for i in range(500):
        prev = 0
        for rate in (0.1, 0.3, 0.5, 0.9, 1.2, 2.7):
            n = copies_for(3, f"m{i}", rate)
            assert n >= prev
            prev = n


def test_copies_get_distinct_ids_and_metadata():
    doc = Doc(id="abc", text="t", source="web", lang="en", metadata={"k": 1})
    out = make_copies(doc, 3)
    assert [d.id for d in out] == ["abc", "abc#r1", "abc#r2"]
    assert out[0] is doc
    assert [d.metadata.get("copy") for d in out] == [None, 1, 2]
    assert all(d.metadata["k"] == 1 for d in out)
    assert doc.metadata == {"k": 1}  # the original is untouched
    assert copy_id("abc", 0) == "abc"
    assert sample_doc(doc, 0.0, 1) == []
    assert len(sample_doc(doc, 3.0, 1)) == 3


def test_exact_cut_hits_target_within_one_document():
    tokens = {f"d{i}": 1 + (i * 37) % 101 for i in range(1000)}
    available = sum(tokens.values())
    ranked = [(rank_key(9, d), t) for d, t in tokens.items()]
    for target in (0.0, 1.0, 0.1 * available, 0.5 * available, available, 1.75 * available, 3 * available):
        cut = exact_cut(ranked, available, target)
        achieved = sum(t * cut.copies(9, d) for d, t in tokens.items())
        assert abs(achieved - target) <= max(tokens.values()), (target, achieved)


def test_exact_cut_edge_cases():
    assert exact_cut([], 0, 10) == ExactCut(0, None)
    assert exact_cut([((1, "a"), 5)], 5, 0) == ExactCut(0, None)
    assert exact_cut([((1, "a"), 5)], 5, 10) == ExactCut(2, None)
    # a single huge document: take it only when that is closer to the target
    assert exact_cut([((1, "a"), 100)], 100, 40).last is None
    assert exact_cut([((1, "a"), 100)], 100, 60).last == (1, "a")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=60),
       st.floats(min_value=0, max_value=5))
def test_exact_cut_property(sizes, epochs):
    tokens = {f"d{i}": t for i, t in enumerate(sizes)}
    available = sum(sizes)
    target = epochs * available
    cut = exact_cut([(rank_key(1, d), t) for d, t in tokens.items()], available, target)
    achieved = sum(t * cut.copies(1, d) for d, t in tokens.items())
    if available:
        assert abs(achieved - target) <= max(sizes) / 2 + 1
        assert cut.whole == math.floor(epochs + 1e-12) or abs(epochs - round(epochs)) < 1e-9


def test_copies_spread_over_shards():
    from pipeline.mixture.sampling import copy_index, original_id, spread_copies

    doc = Doc(id="x#r1", text="t", source="web", lang="en")  # an id that merely looks like a copy
    assert copy_index(doc) == 0 and original_id(doc) == "x#r1"
    copies = make_copies(Doc(id="abc", text="t", source="web", lang="en"), 5)
    assert [copy_index(d) for d in copies] == [0, 1, 2, 3, 4]
    assert {original_id(d) for d in copies} == {"abc"}
    shards = [spread_copies(6, d, 8) for d in copies]
    assert shards == [6, 7, 0, 1, 2]
    assert len(set(shards)) == 5


def test_exact_options_bracket_the_target():
    from pipeline.mixture.sampling import exact_options

    ranked = [(rank_key(2, f"d{i}"), 10) for i in range(10)]
    o = exact_options(ranked, 100, 135)
    assert o.whole == 1
    assert o.below_tokens == 130 and o.above_tokens == 140
    o = exact_options(ranked, 100, 200)
    assert o.whole == 2 and o.below_tokens == 200  # an integer number of epochs is exact
    assert exact_cut(ranked, 100, 200).copies(2, "d3") == 2


def test_rounding_with_carry_keeps_each_source_within_one_document():
    from pipeline.mixture.sampling import choose_exact_cuts, exact_options

    # twenty one-document buckets of 100 tokens, each with a target of 160 tokens:
    # rounding each to the nearest document would give 200 each (+800 for the source)
    options, docs = {}, {}
    for i in range(20):
        key = ("books", f"l{i:02d}")
        doc_id = f"b{i}"
        docs[key] = doc_id
        options[key] = exact_options([(rank_key(5, doc_id), 100)], 100, 160.0)
    cuts = choose_exact_cuts(options)
    achieved = {key: 100 * cuts[key].copies(5, docs[key]) for key in options}
    assert all(abs(a - 160) <= 100 for a in achieved.values())  # every bucket within one document
    assert abs(sum(achieved.values()) - 20 * 160) <= 100  # and the source as a whole too
    naive = sum(100 * exact_cut([(rank_key(5, docs[k]), 100)], 100, 160.0).copies(5, docs[k]) for k in options)
    assert naive == 20 * 200


def test_exact_mode_never_starts_an_extra_epoch_or_passes_the_cap():
    from pipeline.mixture.sampling import exact_options

    ranked = [((i, f"d{i}"), 100) for i in range(4)]
    # a target of exactly 4 passes: no fifth pass over the boundary document
    whole = exact_options(ranked, 400, 1600.0)
    assert whole.whole == 4 and whole.above_tokens == whole.below_tokens == 1600.0
    # 3.9 passes with a cap of 4 epochs: the boundary document would end at 4.0 — allowed
    near = exact_options(ranked, 400, 1560.0, max_tokens=1600.0)
    assert near.above_tokens == 1600.0 and near.below_tokens == 1500.0
    # a cap below the boundary document: only the cut below
    capped = exact_options(ranked, 400, 1560.0, max_tokens=1550.0)
    assert capped.above_tokens == capped.below_tokens == 1500.0
