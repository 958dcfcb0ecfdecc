"""docs/adding-a-stage.md stays true: its code blocks are run as the modules they name,
the toy stage is built through the registry mechanism (a Stage entry in the stage list)
and a run with it drops, counts and reports what the page says."""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import types

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from pydantic import Field

from pipeline.config import Config, parse_config
from pipeline.files import expand_patterns
from pipeline.graph.registry import STAGES, Stage, check_registry
from pipeline.graph.wiring import build_graph
from pipeline.io.readers import document_inputs
from pipeline.run import finish_run, prepare_output

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "adding-a-stage.md")


def _python_blocks() -> list[str]:
    with open(PAGE, encoding="utf-8") as handle:
        return re.findall(r"```python\n(.*?)```", handle.read(), flags=re.S)


def _load_module(name: str, code: str, monkeypatch) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = f"<{PAGE}: {name}>"
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(code, module.__file__, "exec"), module.__dict__)
    return module


def _toy_stage(monkeypatch):
    """(the Config subclass with the toy section, the toy Stage) from the page's blocks."""
    section_code, field_code, core_code, transform_code, registry_code = _python_blocks()
    section = _load_module("pipeline.config.min_chars", section_code, monkeypatch)
    _load_module("pipeline.stages.min_chars_core", core_code, monkeypatch)
    transform = _load_module("pipeline.stages.min_chars", transform_code, monkeypatch)
    namespace = {"Config": Config, "Field": Field, "MinCharsConfig": section.MinCharsConfig}
    exec("class ToyConfig(Config):\n" + field_code, namespace)
    namespace["ToyConfig"].model_rebuild(_types_namespace={"MinCharsConfig": section.MinCharsConfig})
    tree = ast.parse(registry_code)
    *definitions, entry = tree.body
    scope = {"Config": namespace["ToyConfig"], "beam": beam, "MinChars": transform.MinChars, "Stage": Stage}
    exec(compile(ast.Module(body=definitions, type_ignores=[]), PAGE, "exec"), scope)
    (stage,) = eval(compile(ast.Expression(entry.value), PAGE, "eval"), scope)
    return namespace["ToyConfig"], stage


def test_the_page_has_the_five_blocks_of_the_toy_stage():
    blocks = _python_blocks()
    assert len(blocks) == 5
    assert "class MinCharsConfig(StageConfig)" in blocks[0]
    assert 'Stage("min_chars", "min_chars", "filter", _min_chars)' in blocks[4]


def test_the_toy_stage_runs_through_the_registry(tmp_path, monkeypatch):
    toy_config, stage = _toy_stage(monkeypatch)
    assert (stage.name, stage.section, stage.kind) == ("min_chars", "min_chars", "filter")
    # after pii, like an entry placed at the end of the filter stages
    at = [s.name for s in STAGES].index("pii") + 1
    stages = STAGES[:at] + (stage,) + STAGES[at:]
    check_registry(stages)

    data = tmp_path / "web.jsonl"
    texts = {"short-1": "Hi.", "short-2": "Tiny text", "long-1": "A sentence long enough to keep " * 3,
             "long-2": "Another sentence that is long enough " * 3}
    data.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in texts.items()), encoding="utf-8")
    base = parse_config({"name": "toy", "seed": 7, "output": str(tmp_path / "out"),
                         "sources": [{"name": "web", "paths": [str(data)]}],
                         "langid": {"enabled": False}, "dedup": {"enabled": False}, "pii": {"enabled": False},
                         "quality": {"enabled": False}}, check_paths=False)
    config = toy_config.model_validate({**base.model_dump(), "min_chars": {"min_chars": 20}})
    assert stage.enabled(config)

    layout = prepare_output(config.output_dir, overwrite=False)
    p = beam.Pipeline(runner=FnApiRunner(), options=PipelineOptions([]))
    build_graph(p, config, document_inputs(config, expand_patterns), layout, stages=stages)
    p.run().wait_until_finish()
    accounting, manifest, report = finish_run(config, layout)

    assert accounting["balanced"]
    assert accounting["dropped_by_reason"] == {"min_chars:too_short": 2}
    assert accounting["dropped_by_stage"] == {"min_chars": 2}
    assert manifest["shards"]["documents"] == 2
    stats = json.loads((tmp_path / "out" / "_run" / "stats.json").read_text(encoding="utf-8"))
    assert stats["dropped/min_chars:too_short/web/und/docs"] == 2
    steps = [step["step"] for step in report["funnel"]["steps"]]
    assert "min_chars" in steps


def test_the_registry_refuses_a_stage_out_of_kind_order_or_named_twice():
    import pytest

    mixture = [s for s in STAGES if s.name == "mixture"]
    with pytest.raises(ValueError, match="out of kind order"):
        check_registry(tuple(mixture) + STAGES[:1])
    with pytest.raises(ValueError, match="registered twice"):
        check_registry(STAGES[:1] + STAGES[:1])
