"""README.md is the user's manual: its generated YAML reference must match the schema."""

import os

from pipeline.config.reference import BEGIN, END, reference_markdown

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return f.read()


def test_readme_yaml_reference_matches_the_schema():
    text = _readme()
    block = text[text.index(BEGIN): text.index(END) + len(END)]
    assert block == reference_markdown(), (
        "README.md's YAML reference is out of date: run python -m pipeline.config.reference --write README.md")


def test_readme_shows_the_two_getting_started_commands():
    text = _readme()
    assert "pip install -e . && mixture run mixtures/demo.yaml" in text
    assert "pip install -e '.[test]' && pytest" in text


def test_every_config_key_has_a_description():
    missing = [line.split("|")[1].strip() for line in reference_markdown().splitlines()
               if line.startswith("| `") and line.rstrip().endswith("|  |")]
    assert not missing, f"keys without a description: {missing}"
