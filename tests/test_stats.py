"""pipeline/stats.py: one definition per stat key, encoded and decoded in one place."""

import pytest

from pipeline import stats as S


def _sample(kind):
    """A value for every field of a kind: the first allowed choice, an int, or a text with '/' and '%'."""
    values = []
    for segment in kind.SEGMENTS:
        if segment.literal is not None:
            continue
        if segment.is_int:
            values.append(7)
        elif segment.choices is not None:
            values.append(sorted(segment.choices)[0])
        else:
            values.append(f"a/b%2F{segment.name}")
    return kind(*values)


def test_every_kind_round_trips_through_its_key():
    assert len(S.KINDS) > 40
    for kind in S.KINDS:
        stat = _sample(kind)
        decoded = S.decode(stat.key)
        assert type(decoded) is kind
        assert decoded == stat
        assert decoded.key == stat.key


def test_keys_keep_their_established_spelling():
    assert S.Point("input", "web", "en", "docs").key == "point/input/web/en/docs"
    assert S.DroppedFigure("quality:gopher_word_count", "web", "de", "tokens").key == \
        "dropped/quality:gopher_word_count/web/de/tokens"
    assert S.PiiEntity("EMAIL_ADDRESS", "de").key == "pii/entity/EMAIL_ADDRESS/de"
    assert S.DedupKindClusterSize("near", 300).key == "dedup/near/cluster_size/300"
    assert S.MixtureBucket("written_tokens", "books", "sr-Latn").key == "mixture/written_tokens/books/sr-Latn"
    assert S.MixtureBudget().key == "mixture/budget_tokens"
    # a value holding the separator stays one segment
    assert S.DedupLargest("exact", "https://example.org/a").key == "dedup/largest/exact/https:%2F%2Fexample.org%2Fa"
    assert S.decode("dedup/largest/exact/https:%2F%2Fexample.org%2Fa").doc_id == "https://example.org/a"


@pytest.mark.parametrize("key", [
    "pii/entitty/EMAIL_ADDRESS/en",      # misspelt literal
    "point/input/web/en/doc",            # measure not one of docs|tokens|chars|bytes
    "point/inputs/web/en/docs",          # unknown measuring point
    "point/input/web/docs",              # a segment missing
    "dedup/cluster_size/large",          # not an integer
    "dedup/largest/fuzzy/x",             # kind not exact|near
    "weird",
    "qualty/docs/en",                    # misspelt stage
])
def test_unknown_or_misspelt_keys_are_refused(key):
    with pytest.raises(S.UnknownStat, match="unknown stat key"):
        S.decode(key)


def test_decode_all_names_the_unknown_keys():
    with pytest.raises(S.UnknownStat, match=r"2 unknown stat keys.*'point/bad'.*'weird'"):
        S.decode_all({"read/web": 1, "weird": 2, "point/bad": 3})
    assert S.decode_all({"read/web": 1}) == [(S.ReadFigure("web"), 1)]


def test_building_a_key_checks_its_fields():
    with pytest.raises(ValueError, match="measure: 'doc' is not one of"):
        _ = S.Point("input", "web", "en", "doc").key
    with pytest.raises(ValueError, match="size: an integer"):
        _ = S.DedupClusterSize("3").key
    with pytest.raises(TypeError):
        S.PiiEntity("EMAIL_ADDRESS")  # a field missing


def test_overlapping_templates_are_refused_when_declared():
    with pytest.raises(ValueError, match="can match the same key"):
        S.stat("Clash", "dedup/{kind}/removed/{lang}")  # 'dedup/near/removed/en' is already DedupRemoved
    with pytest.raises(ValueError, match="first segment"):
        S.stat("NoStage", "{stage}/docs")


def test_kinds_with_equal_fields_are_different_stats():
    assert S.PiiLang("docs", "en") != S.QualityLang("docs", "en")
    assert S.PiiLang("docs", "en") == S.decode("pii/docs/en")
    assert len({S.PiiLang("docs", "en"), S.QualityLang("docs", "en")}) == 2
    assert S.is_stat("quality/stopwords_skipped/sw", S.QualityLang, what="stopwords_skipped")
    assert not S.is_stat("quality/kept/sw", S.QualityLang, what="stopwords_skipped")
    assert not S.is_stat("pii/docs/sw", S.QualityLang, what="docs")


class _Doc:
    source, lang, tokens, n_chars, n_bytes = "web", "de", 12, 60, 64


def test_point_and_dropped_figures_of_a_document():
    assert S.point_figures("final", _Doc()) == [
        ("point/final/web/de/docs", 1), ("point/final/web/de/tokens", 12),
        ("point/final/web/de/chars", 60), ("point/final/web/de/bytes", 64)]
    assert S.dropped_figures("dedup:near", _Doc()) == [
        ("dropped/dedup:near/web/de/docs", 1), ("dropped/dedup:near/web/de/tokens", 12),
        ("dropped/dedup:near/web/de/chars", 60)]
