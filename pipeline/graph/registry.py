"""The stage registry: every stage of a run, in the order the graph applies them.

One entry per stage: its name (in stats keys, drop reasons and Beam labels), the config
section that configures it (``Config.<section>``, whose ``enabled`` switches it on), its
kind, and the builder of its transform. The graph (:mod:`pipeline.graph.wiring`), the
counting run of ``mixture plan`` (:mod:`pipeline.graph.count`) and the report's stage
order all read this list; adding a stage is one entry here (docs/adding-a-stage.md).

A builder takes the root :class:`~pipeline.config.Config` and hands the transform its
own section plus, explicitly, the shared values it needs (``seed``, the tokenizer spec
``mixture.tokenizer``, the output directory): a transform never reads another section.

Kinds, in graph order:

* ``label``  — annotates every document (language, token count), removes none except
  by its own rules; the "input" measuring point follows the last label stage;
* ``filter`` — removes documents (``dropped`` with a reason) or rewrites them;
* ``join``   — a second input branch (parallel data) whose documents join here; its
  builder also takes the branch's input files;
* ``mark``   — annotates documents of both branches (control tokens); the "filtered"
  measuring point follows;
* ``sample`` — the mixture sampler (0, 1 or more copies of each document);
* ``inject`` — adds documents to the final mixture (canaries) and returns a manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import apache_beam as beam

from pipeline.config import Config
from pipeline.stages.mixture import CountTokens, MixtureSample
from pipeline.stages.canaries import InjectCanaries
from pipeline.stages.control_tokens import ControlTokens
from pipeline.stages.decontamination import Decontaminate
from pipeline.stages.dedup import Deduplicate
from pipeline.stages.langid import LanguageId
from pipeline.stages.parallel import ParallelSources
from pipeline.stages.pii import PiiScrub
from pipeline.stages.quality import QualityFilter
from pipeline.stages.url_filter import UrlFilter

Kind = Literal["label", "filter", "join", "mark", "sample", "inject"]
KINDS: tuple[str, ...] = ("label", "filter", "join", "mark", "sample", "inject")


@dataclass(frozen=True)
class Stage:
    name: str
    section: str  # the Config attribute that configures it
    kind: Kind
    build: Callable[..., beam.PTransform]
    always: bool = False  # True: runs in every run; False: switched by ``<section>.enabled``

    def enabled(self, config: Config) -> bool:
        return self.always or bool(getattr(config, self.section).enabled)


# ------------------------------------------------------------------ builders


def _langid(config: Config) -> beam.PTransform:
    return LanguageId(config.langid)


def _tokens(config: Config) -> beam.PTransform:
    return CountTokens(config.mixture.tokenizer)


def _url_filter(config: Config) -> beam.PTransform:
    return UrlFilter(config.url_filter)


def _decontamination(config: Config) -> beam.PTransform:
    return Decontaminate(config.decontamination, output_dir=config.output_dir, tokenizer=config.mixture.tokenizer)


def _quality(config: Config) -> beam.PTransform:
    return QualityFilter(config.quality, seed=config.seed, tokenizer=config.mixture.tokenizer)


def _dedup(config: Config) -> beam.PTransform:
    return Deduplicate(config.dedup, seed=config.seed, output_dir=config.output_dir)


def _pii(config: Config) -> beam.PTransform:
    return PiiScrub(config.pii, seed=config.seed)


def _parallel(config: Config, inputs: list) -> beam.PTransform:
    # reads the kind: parallel entries of `sources` and their `parallel.sources` settings
    return ParallelSources(config, inputs)


def _control_tokens(config: Config) -> beam.PTransform:
    return ControlTokens(config.control_tokens, seed=config.seed, tokenizer=config.mixture.tokenizer)


def _mixture(config: Config) -> beam.PTransform:
    return MixtureSample(config.mixture, seed=config.seed, sources=[s.name for s in config.sources])


def _canaries(config: Config) -> beam.PTransform:
    return InjectCanaries(config.canaries, seed=config.seed, tokenizer=config.mixture.tokenizer)


# ------------------------------------------------------------------ the registry

STAGES: tuple[Stage, ...] = (
    Stage("langid", "langid", "label", _langid),
    Stage("tokens", "mixture", "label", _tokens, always=True),
    Stage("url", "url_filter", "filter", _url_filter),
    Stage("decontamination", "decontamination", "filter", _decontamination),
    Stage("quality", "quality", "filter", _quality),
    Stage("dedup", "dedup", "filter", _dedup),
    Stage("pii", "pii", "filter", _pii),
    Stage("parallel", "parallel", "join", _parallel),
    Stage("control_tokens", "control_tokens", "mark", _control_tokens),
    Stage("mixture", "mixture", "sample", _mixture, always=True),
    Stage("canaries", "canaries", "inject", _canaries),
)

STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)


def stages_of(kind: str, stages: tuple[Stage, ...] = STAGES) -> list[Stage]:
    """The registered stages of one kind, in graph order."""
    if kind not in KINDS:
        raise ValueError(f"unknown stage kind {kind!r} (kinds: {', '.join(KINDS)})")
    return [s for s in stages if s.kind == kind]


def check_registry(stages: tuple[Stage, ...]) -> None:
    """Names unique, kinds known and in graph order (label < filter < join < mark <
    sample < inject), one sampler at most."""
    names = [s.name for s in stages]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"stage names registered twice: {', '.join(duplicated)}")
    ranks = []
    for s in stages:
        if s.kind not in KINDS:
            raise ValueError(f"stage {s.name}: unknown kind {s.kind!r} (kinds: {', '.join(KINDS)})")
        ranks.append(KINDS.index(s.kind))
    if ranks != sorted(ranks):
        raise ValueError(f"stages out of kind order ({', '.join(KINDS)}): {', '.join(names)}")
    if len([s for s in stages if s.kind == "sample"]) > 1:
        raise ValueError("more than one sample stage")


check_registry(STAGES)
