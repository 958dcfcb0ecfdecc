"""The YAML reference in README.md, generated from the pydantic schema itself.

``python -m pipeline.config.reference`` prints it; ``--write README.md`` replaces the
block between the markers below. A test fails when README.md and the schema differ, so
the documented keys, defaults and descriptions never drift from the code.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

BEGIN = "<!-- BEGIN GENERATED YAML REFERENCE (python -m pipeline.config.reference --write README.md) -->"
END = "<!-- END GENERATED YAML REFERENCE -->"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The config model inside an annotation (``X``, ``X | None``, ``list[X]``, ``dict[str, X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(annotation)
        return f"list[{_type_name(args[0])}]" if args else "list"
    if origin is dict:
        key, value = typing.get_args(annotation) or (str, Any)
        return f"map[{_type_name(key)}, {_type_name(value)}]"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    if typing.get_origin(annotation) is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    return getattr(annotation, "__name__", str(annotation))


def _default(field) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        try:
            value = field.default_factory()
        except TypeError:
            return "(computed)"
    else:
        value = field.default
    if value is PydanticUndefined:
        return ""
    if isinstance(value, BaseModel):
        return "(see below)"
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}…`"


def _rows(model: type[BaseModel], prefix: str, seen: set) -> list[tuple[str, str, str, str]]:
    rows = []
    nested = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append((key, _type_name(field.annotation), _default(field), description))
        sub = _model_of(field.annotation)
        if sub is not None and sub is not model:
            origin = typing.get_origin(field.annotation)
            args = typing.get_args(field.annotation)
            if origin is dict or (args and any(typing.get_origin(a) is dict for a in args)):
                sub_prefix = f"{key}.<name>."
            elif origin is list or (args and any(typing.get_origin(a) is list for a in args)):
                sub_prefix = f"{key}[]."
            else:
                sub_prefix = f"{key}."
            nested.append((sub, sub_prefix))
    for sub, sub_prefix in nested:
        if (sub, sub_prefix) in seen:
            continue
        seen.add((sub, sub_prefix))
        rows += _rows(sub, sub_prefix, seen)
    return rows


def reference_markdown() -> str:
    from pipeline.config import Config

    lines = [BEGIN, "", "| key | type | default | meaning |", "|---|---|---|---|"]
    for key, type_name, default, description in _rows(Config, "", set()):
        lines.append(f"| `{key}` | {type_name} | {default} | {description} |")
    lines += ["", END]
    return "\n".join(lines)


def replace_block(text: str, block: str) -> str:
    if BEGIN not in text or END not in text:
        raise ValueError("README.md has no generated-reference markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + block + tail


def main(argv: list[str]) -> int:
    block = reference_markdown()
    if len(argv) == 2 and argv[0] == "--write":
        with open(argv[1], encoding="utf-8") as f:
            text = f.read()
        with open(argv[1], "w", encoding="utf-8") as f:
            f.write(replace_block(text, block))
        return 0
    print(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
