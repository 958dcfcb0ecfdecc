import json

import pytest

from pipeline.cli import main
from pipeline.config import ConfigError, format_loc, load_config


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "a.jsonl").write_text(json.dumps({"id": "1", "text": "Hello there. A sentence."}) + "\n")
    return d


def _write(tmp_path, body: str):
    path = tmp_path / "mix.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def _valid(corpus):
    return f"""
    name: t
    seed: 7
    sources:
      - name: web
        paths: ["{corpus}/*.jsonl"]
    mixture:
      shards: {{count: 3, format: jsonl.gz}}
    """.replace("\n    ", "\n").lstrip("\n")


def test_valid_file_loads_with_defaults(tmp_path, corpus):
    config = load_config(str(_write(tmp_path, _valid(corpus))))
    assert config.name == "t" and config.seed == 7
    assert config.sources[0].kind == "documents" and config.sources[0].text_field == "text"
    assert config.mixture.shards.count == 3
    assert config.output_dir == "out/t"
    assert config.langid.enabled and config.langid.min_score == 0.5
    assert len(config.sha256()) == 64


def test_overrides_from_the_command_line(tmp_path, corpus):
    config = load_config(str(_write(tmp_path, _valid(corpus))), seed=99, output="elsewhere")
    assert config.seed == 99 and config.output_dir == "elsewhere"


def _problems(tmp_path, body):
    with pytest.raises(ConfigError) as info:
        load_config(str(_write(tmp_path, body)))
    return info.value.problems


def test_unknown_key_is_an_error_with_its_path_and_line(tmp_path, corpus):
    problems = _problems(tmp_path, _valid(corpus) + "colour: blue\n")
    assert len(problems) == 1
    assert problems[0].endswith("colour: unknown key")
    assert ":8:" in problems[0]  # the YAML line of the offending key
    problems = _problems(tmp_path, _valid(corpus).replace("paths:", "pathz:"))
    assert any("sources[0].pathz: unknown key" in p for p in problems)
    assert any("sources[0].paths: required key is missing" in p for p in problems)


def test_wrong_type_and_bad_number(tmp_path, corpus):
    problems = _problems(tmp_path, _valid(corpus).replace("seed: 7", "seed: seven")
                         .replace("count: 3", "count: 0"))
    text = "\n".join(problems)
    assert "seed:" in text and "valid integer" in text
    assert "mixture.shards.count:" in text and "greater than or equal to 1" in text


def test_bad_path_names_the_pattern(tmp_path, corpus):
    problems = _problems(tmp_path, _valid(corpus).replace("*.jsonl", "nothing-*.jsonl"))
    assert len(problems) == 1
    assert "sources[0].paths[0]: no file matches" in problems[0] and "nothing-*.jsonl" in problems[0]


def test_invalid_yaml_duplicate_keys_and_empty_file(tmp_path, corpus):
    assert "invalid YAML" in _problems(tmp_path, "name: [unclosed\n")[0]
    assert "duplicate key 'seed'" in _problems(tmp_path, _valid(corpus) + "seed: 8\n")[0]
    assert "empty" in _problems(tmp_path, "\n")[0]
    assert "mapping" in _problems(tmp_path, "- just\n- a list\n")[0]


def test_unsafe_yaml_tags_are_refused(tmp_path, corpus):
    problems = _problems(tmp_path, _valid(corpus) + "x: !!python/object/apply:os.system ['true']\n")
    assert "invalid YAML" in problems[0]


def test_duplicate_source_names(tmp_path, corpus):
    body = _valid(corpus).replace("mixture:\n  shards: {count: 3, format: jsonl.gz}\n", "")
    body += f'  - name: web\n    paths: ["{corpus}/*.jsonl"]\n'

    problems = _problems(tmp_path, body)
    assert any("duplicate source name 'web'" in p for p in problems)


def test_format_loc():
    assert format_loc(("sources", 1, "paths", 0)) == "sources[1].paths[0]"
    assert format_loc(()) == "(top level)"


def test_validate_command_exit_codes(tmp_path, corpus, capsys):
    good = _write(tmp_path, _valid(corpus))
    assert main(["validate", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = _write(tmp_path, _valid(corpus) + "colour: blue\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "colour: unknown key" in err and "Traceback" not in err
    assert main(["validate", str(tmp_path / "absent.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_run_refuses_a_bad_config_without_traceback(tmp_path, corpus, capsys):
    bad = _write(tmp_path, _valid(corpus).replace("seed: 7", "seed: -1"))
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "seed" in err and "Traceback" not in err


def test_palm2_like_example_passes_schema_only_validation(capsys):
    import os

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert main(["validate", "--schema-only", os.path.join(root, "mixtures", "palm2_like.yaml")]) == 0
    assert "schema only" in capsys.readouterr().out


def test_shipped_mixtures_are_valid():
    import glob
    import os

    import yaml

    from pipeline.config import parse_config

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = sorted(glob.glob(os.path.join(root, "mixtures", "*.yaml")))
    assert len(files) >= 2
    for path in files:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
        # remote paths cannot be listed here: the schema is what is checked
        config = parse_config(data, origin=path, check_paths=False)
        assert config.sources


def test_mixture_weights_must_name_sources(tmp_path, corpus):
    problems = _problems(tmp_path, _valid(corpus).replace(
        "mixture:\n", "mixture:\n  weights: {web: 1, wbe: 2}\n"))
    assert any("unknown source 'wbe'" in p for p in problems)
