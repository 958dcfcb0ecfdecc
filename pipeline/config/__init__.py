"""The YAML schema of a mixture, its loading and its validation messages.

Code never reads YAML directly: it calls :func:`load_config` and gets a validated
:class:`Config`, or a :class:`ConfigError` listing every problem with its key path.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from pipeline.config.base import StageConfig, StrictModel
from pipeline.config.canaries import CanariesConfig
from pipeline.config.control_tokens import ControlTokensConfig
from pipeline.config.decontamination import DecontaminationConfig, EvalSourceConfig
from pipeline.config.dedup import DedupConfig
from pipeline.config.langid import LangIdConfig
from pipeline.config.mixture import MixtureConfig, ShardsConfig
from pipeline.config.parallel import ParallelConfig
from pipeline.config.pii import PiiConfig
from pipeline.config.quality import QualityConfig
from pipeline.config.sources import SourceConfig, infer_format
from pipeline.config.url_filter import UrlFilterConfig

__all__ = [
    "CanariesConfig",
    "ControlTokensConfig",
    "ParallelConfig",
    "Config",
    "ConfigError",
    "DecontaminationConfig",
    "DedupConfig",
    "EvalSourceConfig",
    "LangIdConfig",
    "MixtureConfig",
    "PiiConfig",
    "QualityConfig",
    "ShardsConfig",
    "SourceConfig",
    "StageConfig",
    "StrictModel",
    "UrlFilterConfig",
    "load_config",
    "parse_config",
]

class Config(StrictModel):
    name: str = Field(description="Mixture name.", pattern=r"^[A-Za-z0-9_.\-]+$")
    seed: int = Field(1234, ge=0, lt=2**63, description="Seed of every random decision.")
    output: str | None = Field(None, description="Output directory; default out/<name>.")
    sources: list[SourceConfig] = Field(min_length=1, description="Input sources.")
    url_filter: UrlFilterConfig = Field(default_factory=UrlFilterConfig,
                                        description="URL blocklist and exact URL dedup of documents with a URL.")
    langid: LangIdConfig = Field(default_factory=LangIdConfig, description="Language identification (fastText).")
    decontamination: DecontaminationConfig = Field(
        default_factory=DecontaminationConfig,
        description="N-gram overlap with evaluation sets: drop, mask or mark contaminated documents.")
    quality: QualityConfig = Field(default_factory=QualityConfig, description="Quality filtering rules.")
    dedup: DedupConfig = Field(default_factory=DedupConfig, description="Exact and MinHash near-duplicate removal.")
    pii: PiiConfig = Field(default_factory=PiiConfig, description="PII scrubbing (presidio-analyzer).")
    parallel: ParallelConfig = Field(default_factory=ParallelConfig,
                                     description="English-paired parallel data from kind: parallel sources.")
    control_tokens: ControlTokensConfig = Field(default_factory=ControlTokensConfig,
                                                description="Toxicity (and other) control tokens on a fraction of documents.")
    mixture: MixtureConfig = Field(default_factory=MixtureConfig, description="Budget, weights, sampling, shards.")
    canaries: CanariesConfig = Field(default_factory=CanariesConfig,
                                     description="Canary sequences injected into the shards, with a secret manifest.")

    @model_validator(mode="after")
    def _unique_source_names(self) -> "Config":
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"duplicate source name '{source.name}'")
            seen.add(source.name)
        parallel = [s.name for s in self.sources if s.kind == "parallel"]
        if parallel and not self.parallel.enabled:
            raise ValueError(f"source(s) {', '.join(parallel)} are kind: parallel; switch the stage on with "
                             "parallel: {enabled: true} (or remove them)")
        for where, keys in (("mixture.weights", self.mixture.weights),
                            ("mixture.languages.per_source", self.mixture.languages.per_source)):
            for key in keys:
                if key not in seen:
                    raise ValueError(f"{where}: unknown source '{key}' (sources: {', '.join(sorted(seen))})")
        return self

    @property
    def output_dir(self) -> str:
        return self.output or f"out/{self.name}"

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)

    def sha256(self) -> str:
        """Identifies the recipe: every setting except where the output is written."""
        recipe = self.model_dump(mode="json")
        recipe.pop("output", None)
        text = json.dumps(recipe, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ConfigError(Exception):
    """A config file that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys instead of keeping the last."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first at line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def format_loc(loc: tuple) -> str:
    """('sources', 1, 'paths', 0) -> 'sources[1].paths[0]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _line_of(root: yaml.Node | None, loc: tuple) -> int | None:
    """The 1-based YAML line of the value at ``loc``, or of its nearest existing parent."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    nxt = value_node
                    line = key_node.start_mark.line + 1
                    break
            if nxt is None:
                return line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = error.get("msg", "invalid value")
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind in ("literal_error",):
        return f"{msg} (got {error.get('input')!r})"
    if "input" in error and not isinstance(error["input"], (dict, list)):
        return f"{msg} (got {error['input']!r})"
    return msg


def _clean_loc(loc: tuple) -> tuple:
    # pydantic adds tags for unions/literals ('function-after[...]', 'literal[...]'); drop them
    return tuple(p for p in loc if isinstance(p, int) or ("[" not in str(p) and "(" not in str(p)))


def parse_config(data: Any, *, origin: str = "<config>", yaml_root: yaml.Node | None = None,
                 check_paths: bool = True) -> Config:
    """Validate an already-parsed YAML document; raise ConfigError with every problem."""
    if not isinstance(data, dict):
        raise ConfigError([f"{origin}: the file must contain a mapping (key: value), got {type(data).__name__}"])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = _clean_loc(tuple(error["loc"]))
            line = _line_of(yaml_root, loc)
            where = f"{origin}:{line}" if line else origin
            problems.append(f"{where}: {format_loc(loc)}: {_message(error)}")
        raise ConfigError(problems) from None
    if check_paths:
        problems = check_source_paths(config, origin=origin, yaml_root=yaml_root)
        if problems:
            raise ConfigError(problems)
    return config


def check_source_paths(config: Config, *, origin: str, yaml_root: yaml.Node | None = None) -> list[str]:
    """Every path pattern must match at least one file with a known format."""
    from pipeline.files import expand_patterns  # lazy: imports Beam (seconds); only path checks need it

    problems = []
    listed = [(("url_filter", key, j), path) for key in ("domain_files", "substring_files")
              for j, path in enumerate(getattr(config.url_filter, key))]
    if config.decontamination.enabled:
        listed += [(("decontamination", "sources", j, "path"), s.path)
                   for j, s in enumerate(config.decontamination.sources)]
        listed += [(("decontamination", "stop_ngram_files", j), path)
                   for j, path in enumerate(config.decontamination.stop_ngram_files)]
    for loc, path in listed:
        line = _line_of(yaml_root, loc)
        where = f"{origin}:{line}" if line else origin
        try:
            found = bool(expand_patterns([path]))
        except Exception as exc:  # a filesystem that cannot be reached or parsed
            problems.append(f"{where}: {format_loc(loc)}: cannot list '{path}': {exc}")
            continue
        if not found:
            problems.append(f"{where}: {format_loc(loc)}: no such file '{path}'")
    for i, source in enumerate(config.sources):
        for j, pattern in enumerate(source.paths):
            loc = ("sources", i, "paths", j)
            line = _line_of(yaml_root, loc)
            where = f"{origin}:{line}" if line else origin
            try:
                files = expand_patterns([pattern])
            except Exception as exc:  # a filesystem that cannot be reached or parsed
                problems.append(f"{where}: {format_loc(loc)}: cannot list '{pattern}': {exc}")
                continue
            if not files:
                problems.append(f"{where}: {format_loc(loc)}: no file matches '{pattern}'")
                continue
            if source.format is None:
                unknown = [f for f in files if infer_format(f) is None]
                if unknown:
                    problems.append(
                        f"{where}: {format_loc(loc)}: cannot tell the format of '{unknown[0]}' "
                        f"from its name; set sources[{i}].format"
                    )
    return problems


def load_config(path: str, *, seed: int | None = None, output: str | None = None,
                check_paths: bool = True) -> Config:
    """Read, parse and validate a YAML config file (command-line overrides applied)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError([f"{path}: no such file"])
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    try:
        root = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}: invalid YAML: {problem}"]) from None
    if data is None:
        raise ConfigError([f"{path}: the file is empty"])
    if isinstance(data, dict):
        if seed is not None:
            data["seed"] = seed
        if output is not None:
            data["output"] = output
    return parse_config(data, origin=path, yaml_root=root, check_paths=check_paths)
