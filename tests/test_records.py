import pickle

import pytest

from pipeline.records import Doc


def test_with_returns_a_changed_copy_and_leaves_the_original_alone():
    d = Doc(id="x", text="hello", source="web", metadata={"a": 1})
    e = d.with_(lang="en", lang_score=0.9)
    assert (e.lang, e.lang_score, e.text, e.id) == ("en", 0.9, "hello", "x")
    assert (d.lang, d.lang_score) == ("und", 0.0)
    assert e == Doc(id="x", text="hello", source="web", lang="en", lang_score=0.9, metadata={"a": 1})
    assert pickle.loads(pickle.dumps(e)) == e
    with pytest.raises(TypeError):
        d.with_(language="en")
    with pytest.raises(Exception):
        e.lang = "de"  # still frozen


def test_with_metadata_merges_without_touching_the_original():
    d = Doc(id="x", text="t", source="s", metadata={"a": 1})
    e = d.with_metadata(b=2)
    assert e.metadata == {"a": 1, "b": 2} and d.metadata == {"a": 1}
