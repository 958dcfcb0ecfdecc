"""The Beam wrappers: CountTokens and MixtureSample on the in-process FnApiRunner."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipeline.config import Config
from pipeline.config.mixture import MixtureConfig
from pipeline.mixture.sampling import copies_for
from pipeline.mixture.tokens import count_tokens
from pipeline.stages.mixture import EXCLUDED, NOT_SAMPLED, CountTokens, MixtureSample
from pipeline.records import Doc

SEED = 7


def _docs(source: str, lang: str, n: int, tokens: int) -> list[Doc]:
    return [Doc(id=f"{source}-{lang}-{i}", text="w " * tokens, source=source, lang=lang, tokens=tokens)
            for i in range(n)]


def _mixture(**kw) -> MixtureConfig:
    return MixtureConfig.model_validate(kw)


def test_count_tokens_sets_tokens_on_every_doc(beam_pipeline):
    docs = [
        Doc(id="a", text="Hello, world!", source="web", lang="en"),
        Doc(id="b", text="你好世界", source="web", lang="zh", script="Hani"),
        Doc(id="c", text="สวัสดีครับ", source="web", lang="th"),
        Doc(id="d", text="مرحبا بالعالم 🎉", source="web", lang="ar"),
    ]
    expected = [(d.id, count_tokens(d.text)) for d in docs]
    with beam_pipeline as p:
        out = p | beam.Create(docs) | CountTokens(_mixture().tokenizer)
        assert_that(out["kept"] | beam.Map(lambda d: (d.id, d.tokens)), equal_to(expected))
        assert_that(out["dropped"], equal_to([]), label="no_drops")
        assert_that(out["stats"], equal_to([
            ("mixture/counted_tokens/web/en", expected[0][1]),
            ("mixture/counted_tokens/web/zh", expected[1][1]),
            ("mixture/counted_tokens/web/th", expected[2][1]),
            ("mixture/counted_tokens/web/ar", expected[3][1]),
        ]), label="stats")
    assert all(t > 0 for _, t in expected)


def test_no_budget_passes_everything_through(beam_pipeline):
    docs = _docs("web", "en", 5, 10) + _docs("code", "und", 3, 4)
    with beam_pipeline as p:
        out = p | beam.Create(docs) | MixtureSample(_mixture(), seed=SEED)
        assert_that(out["kept"] | beam.Map(lambda d: d.id), equal_to([d.id for d in docs]))
        assert_that(out["dropped"], equal_to([]), label="none_dropped")


def test_integer_rates_give_exact_counts(beam_pipeline):
    # web: 10 docs x 10 tokens = 100 available; code: 20 x 5 = 100 available.
    # budget 300, weights web 2 / code 1 -> web 200 tokens (rate 2), code 100 (rate 1).
    docs = _docs("web", "en", 10, 10) + _docs("code", "und", 20, 5)
    mixture = _mixture(budget={"tokens": 300}, weights={"web": 2, "code": 1})
    with beam_pipeline as p:
        out = p | beam.Create(docs) | MixtureSample(mixture, seed=SEED, sources=["web", "code"])
        kept_ids = out["kept"] | beam.Map(lambda d: d.id)
        expected = [d.id for d in docs] + [f"{d.id}#r1" for d in docs if d.source == "web"]
        assert_that(kept_ids, equal_to(expected))
        copies = out["kept"] | "copymeta" >> beam.Filter(lambda d: d.metadata.get("copy") == 1) | beam.Map(
            lambda d: d.id)
        assert_that(copies, equal_to([f"web-en-{i}#r1" for i in range(10)]), label="copy_meta")
        assert_that(out["dropped"], equal_to([]), label="no_drop")
        wanted = {
            ("mixture/available_tokens/web/en", 100), ("mixture/available_docs/web/en", 10),
            ("mixture/target_tokens/web/en", 200), ("mixture/written_tokens/web/en", 200),
            ("mixture/written_docs/web/en", 20), ("mixture/copies/web/en", 10),
            ("mixture/selected_docs/web/en", 10), ("mixture/selected_docs/code/und", 20),
            ("mixture/target_tokens/code/und", 100), ("mixture/written_tokens/code/und", 100),
            ("mixture/epochs/web/en", 2.0), ("mixture/epochs/code/und", 1.0), ("mixture/budget_tokens", 300),
        }
        assert_that(out["stats"] | beam.Filter(lambda kv: kv in wanted), equal_to(sorted(wanted)),
                    label="stats")


def test_fractional_rate_follows_keyed_draw_and_reasons(beam_pipeline):
    # web/en 40 docs x 10 tokens, rate 0.5; code has no weight -> excluded.
    docs = _docs("web", "en", 40, 10) + _docs("code", "py", 5, 10)
    mixture = _mixture(budget={"tokens": 200}, weights={"web": 1})
    expected_kept = [d.id for d in docs if d.source == "web" and copies_for(SEED, d.id, 0.5) == 1]
    expected_dropped = [(d.id, NOT_SAMPLED) for d in docs if d.source == "web" and d.id not in expected_kept]
    expected_dropped += [(d.id, EXCLUDED) for d in docs if d.source == "code"]
    with beam_pipeline as p:
        out = p | beam.Create(docs) | MixtureSample(mixture, seed=SEED)
        assert_that(out["kept"] | beam.Map(lambda d: d.id), equal_to(expected_kept))
        assert_that(out["dropped"] | beam.Map(lambda x: (x.doc.id, x.reason)), equal_to(expected_dropped),
                    label="dropped")
        assert_that(out["allocation"] | beam.Map(lambda a: (a.rate("web", "en"), a.rate("code", "py"))),
                    equal_to([(0.5, 0.0)]), label="allocation")
    assert 0 < len(expected_kept) < 40


def test_exact_mode_hits_target_within_one_document(beam_pipeline):
    docs = [Doc(id=f"d{i}", text="x", source="web", lang="en", tokens=1 + (i * 7) % 13) for i in range(200)]
    available = sum(d.tokens for d in docs)
    target = 0.37 * available
    mixture = _mixture(budget={"tokens": target}, exact=True)
    with beam_pipeline as p:
        out = p | beam.Create(docs) | MixtureSample(mixture, seed=SEED)
        written = out["kept"] | beam.Map(lambda d: d.tokens) | beam.CombineGlobally(sum)

        def check(values):
            assert len(values) == 1
            assert abs(values[0] - target) <= 13, (values[0], target)

        assert_that(written, check)


def test_built_from_the_config_by_the_registry_and_empty_input(beam_pipeline):
    from pipeline.graph.registry import STAGES

    (stage,) = [s for s in STAGES if s.name == "mixture"]
    config = Config.model_validate({
        "name": "t", "seed": 3, "sources": [{"name": "web", "paths": ["x.jsonl"]}],
        "mixture": {"budget": {"tokens": 1000}},
    })
    with beam_pipeline as p:
        out = p | beam.Create([]).with_output_types(Doc) | stage.build(config)
        assert_that(out["kept"], equal_to([]))
        assert_that(out["stats"] | beam.Filter(lambda kv: kv[0] == "mixture/budget_tokens"),
                    equal_to([("mixture/budget_tokens", 1000)]), label="budget")


def _synthetic_corpus() -> list[Doc]:
    docs = []
    spec = {("web", "en"): 1500, ("web", "de"): 700, ("web", "sw"): 40, ("books", "en"): 300, ("code", "und"): 500}
    for (source, lang), n in spec.items():
        for i in range(n):
            docs.append(Doc(id=f"{source}-{lang}-{i}", text="", source=source, lang=lang,
                            tokens=20 + (i * 7919) % 200))
    return docs


def _run_mixture(docs, mixture, seed, where):
    """Runs the sampler; its stats and kept ids come back through JSON files (the
    assert_that callbacks run on pickled copies, so they cannot fill a local dict)."""
    import json

    from conftest import make_test_pipeline

    def writer(path):
        def write(values):
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(sorted(values), handle)
        return write

    with make_test_pipeline() as p:
        out = p | beam.Create(docs) | MixtureSample(mixture, seed=seed)
        assert_that(out["stats"], writer(str(where / "stats.json")), label="stats")
        assert_that(out["kept"] | beam.Map(lambda d: d.id), writer(str(where / "ids.json")), label="ids")
    with open(where / "stats.json", encoding="utf-8") as handle:
        stats = dict(tuple(kv) for kv in json.load(handle))
    with open(where / "ids.json", encoding="utf-8") as handle:
        ids = json.load(handle)
    return {"stats": stats, "ids": ids}


def test_achieved_shares_within_one_point_and_deterministic(tmp_path):
    docs = _synthetic_corpus()
    available = sum(d.tokens for d in docs)
    mixture = _mixture(budget={"tokens": 0.9 * available}, weights={"web": 0.6, "books": 0.25, "code": 0.15},
                       languages={"sampling": "temperature", "alpha": 0.3})
    first = _run_mixture(docs, mixture, SEED, tmp_path)
    stats = first["stats"]
    buckets = [k.split("/", 2)[2] for k in stats if k.startswith("mixture/target_tokens/")]
    total_target = sum(stats[f"mixture/target_tokens/{b}"] for b in buckets)
    total_written = sum(stats.get(f"mixture/written_tokens/{b}", 0) for b in buckets)
    for b in buckets:
        target_share = stats[f"mixture/target_tokens/{b}"] / total_target
        achieved_share = stats.get(f"mixture/written_tokens/{b}", 0) / total_written
        assert abs(achieved_share - target_share) < 0.01, b
        assert stats[f"mixture/epochs/{b}"] <= 4.0
    # same seed -> the same mixture; another seed -> another one
    assert _run_mixture(docs, mixture, SEED, tmp_path)["ids"] == first["ids"]
    assert _run_mixture(docs, mixture, SEED + 1, tmp_path)["ids"] != first["ids"]


def test_count_tokens_with_an_hf_tokenizer_in_batches(beam_pipeline, tmp_path):
    import tokenizers
    from tokenizers import models, pre_tokenizers

    tok = tokenizers.Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1, "b": 2}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    config = _mixture(tokenizer={"kind": "hf", "path": str(path)})
    docs = [Doc(id=f"d{i}", text=" ".join(["a"] * i), source="web", lang="en") for i in range(40)]
    with beam_pipeline as p:
        out = p | beam.Create(docs) | CountTokens(config.tokenizer)
        assert_that(out["kept"] | beam.Map(lambda d: (d.id, d.tokens)), equal_to([(f"d{i}", i) for i in range(40)]))
