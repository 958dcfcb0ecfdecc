"""The mixture section of the YAML schema."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.config import ConfigError, parse_config
from pipeline.config.mixture import MixtureConfig, ShardsConfig


def test_defaults_pass_everything_through():
    m = MixtureConfig()
    assert m.budget is None
    assert m.weights == {}
    assert m.languages.sampling == "natural"
    assert m.languages.alpha == 0.3
    assert m.max_epochs == 4.0
    assert m.on_shortfall == "redistribute"
    assert m.exact is False
    assert m.tokenizer.kind == "default"
    assert isinstance(m.shards, ShardsConfig) and m.shards.count == 8


def test_every_field_has_a_description():
    from pipeline.config.mixture import BudgetConfig, LanguagesConfig, LanguagesOverride, TokenizerConfig

    for model in (MixtureConfig, BudgetConfig, LanguagesConfig, LanguagesOverride, TokenizerConfig):
        for name, field in model.model_fields.items():
            if name != "shards":
                assert field.description, f"{model.__name__}.{name}"


def test_full_section():
    m = MixtureConfig.model_validate({
        "budget": {"compute_flops": 1e22, "tokens_per_param": 20},
        "weights": {"web": 0.8, "bitext": 0.2},
        "languages": {"sampling": "unimax", "max_epochs": 4, "max_share": 0.6,
                      "per_language": {"sw": {"min_share": 0.01}},
                      "per_source": {"bitext": {"sampling": "temperature", "alpha": 0.5}}},
        "max_epochs": 8, "on_shortfall": "shrink", "exact": True,
        "tokenizer": {"kind": "default", "tokens_per_word": 1.2, "per_script": {"Thai": 0.4}},
        "shards": {"count": 4, "format": "jsonl.gz"},
    })
    web = m.languages.for_source("web")
    bitext = m.languages.for_source("bitext")
    assert web.sampling == "unimax"
    assert bitext.sampling == "temperature" and bitext.alpha == 0.5
    assert bitext.max_share == 0.6  # inherited from the defaults
    assert bitext.bounds("sw") == (0.01, 0.6)
    assert web.bounds("en") == (0.0, 0.6)


@pytest.mark.parametrize("data, fragment", [
    ({"weights": {"web": 0}}, "must be > 0"),
    ({"weights": {"web": -1}}, "must be > 0"),
    ({"budget": {}}, "set one of"),
    ({"budget": {"tokens": 1, "compute_flops": 1, "params": 1}}, "over-determine"),
    ({"budget": {"tokens": -5}}, "greater than 0"),
    ({"budget": {"tokens": 1, "tokens_per_param": 0}}, "greater than 0"),
    ({"languages": {"sampling": "explicit"}}, "needs 'shares'"),
    ({"languages": {"sampling": "explicit", "shares": {"en": -1}}}, ">= 0"),
    ({"languages": {"sampling": "explicit", "shares": {"en": 0}}}, "all be zero"),
    ({"languages": {"sampling": "temperature", "alpha": 0}}, "greater than 0"),
    ({"languages": {"sampling": "zipf"}}, "natural"),
    ({"languages": {"min_share": 0.6, "max_share": 0.5}}, "min_share"),
    ({"languages": {"per_language": {"sw": {"min_share": 0.9}}, "max_share": 0.5}}, "per_language.sw"),
    ({"languages": {"per_source": {"code": {"sampling": "explicit"}}}}, "per_source.code"),
    ({"max_epochs": 0}, "greater than 0"),
    ({"on_shortfall": "ignore"}, "redistribute"),
    ({"tokenizer": {"kind": "hf"}}, "needs a 'path'"),
    ({"tokenizer": {"per_script": {"Thai": 0}}}, "must be > 0"),
    ({"budget": {"tokens": 1, "epochs": 2}}, "Extra inputs"),
    ({"temperature": 0.3}, "Extra inputs"),
])
def test_invalid(data, fragment):
    with pytest.raises(ValidationError, match=fragment):
        MixtureConfig.model_validate(data)


def test_null_max_epochs_means_no_cap():
    assert MixtureConfig.model_validate({"max_epochs": None}).max_epochs is None


def test_errors_carry_the_key_path_in_the_root_config():
    data = {"name": "t", "sources": [{"name": "web", "paths": ["x.jsonl"]}],
            "mixture": {"budget": {"tokens": 1e6}, "weights": {"web": 0}, "languages": {"alpha": -1}}}
    with pytest.raises(ConfigError) as info:
        parse_config(data, check_paths=False)
    text = "\n".join(info.value.problems)
    assert "mixture.weights" in text
    assert "mixture.languages.alpha" in text


def test_yaml_exponent_numbers_are_accepted():
    import yaml

    # PyYAML reads "1e22" (no dot) as a string; the schema still takes it as a number
    data = yaml.safe_load("budget: {compute_flops: 1e22, tokens_per_param: 20}\nweights: {web: 2e0}")
    m = MixtureConfig.model_validate(data)
    assert m.budget.compute_flops == 1e22
    assert m.weights == {"web": 2.0}
