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


def test_stage_cores_do_not_import_beam():
    """README (Development): each stage's core is plain Python, testable without Beam."""
    import subprocess
    import sys

    cores = ["pipeline.stages.langid_core", "pipeline.stages.quality_core", "pipeline.stages.dedup_core",
             "pipeline.stages.pii_core", "pipeline.stages.decontamination_core", "pipeline.stages.canaries_core", "pipeline.canary_exposure", "pipeline.stages.parallel_core", "pipeline.stages.control_tokens_core", "pipeline.mixture.allocation", "pipeline.mixture.sampling",
             "pipeline.mixture.tokens", "pipeline.mixture.budget", "pipeline.text.normalize",
             "pipeline.text.segment", "pipeline.text.script", "pipeline.text.langcodes"]
    code = ("import sys, importlib\n"
            f"for m in {cores!r}: importlib.import_module(m)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'apache_beam')[:5])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
