"""English-paired parallel data: checks, dedup key and rendering of bitext pairs (no Beam).

A :class:`BitextPair` (read by :mod:`pipeline.io.bitext`) goes through:

1. :meth:`PairFilter.check` — empty sides, pivot pairing (exactly one side declared in
   the pivot language), tokens per side, token length ratio, language ID of both sides
   (the non-pivot side first). The result is a :class:`CheckedPair` (the pair and its
   rendered, token-counted preview document) or a ``Dropped`` with reason
   ``parallel:<rule>``. Side "source" is the pair's first column (TMX: srclang), side
   "target" the second; the rules name them so.
2. :func:`choose_representatives` — exact duplicates (:func:`dedup_key`) keep the pair
   with the smallest id.
3. :meth:`PairRenderer.finish` — PII scrub of both sides, then the final document.

Direction and template are chosen per pair by keyed hashes of (seed, pair id), so each
pair yields exactly one document, whatever the runner.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, NamedTuple

from pipeline.hashing import keyed_choice_index, stable_digest
from pipeline.mixture.tokens import make_counter
from pipeline.records import UNDETERMINED, BitextPair, Doc, Dropped, pair_id  # noqa: F401 - pair_id re-exported
from pipeline.text.langcodes import base_language, language_name, script_is_usual
from pipeline.stages.parallel_checks import failing_check, length_units, untranslated
from pipeline.stages.parallel_side import SideDecision, SideEvidence, decide_side, side_evidence
from pipeline.text.script import COMMON, dominant_script
from pipeline.stats import ParallelPair, ParallelPiiEntity, ParallelReason, point_figures

STAGE = "parallel"
SIDE_NAMES = {"a": "source", "b": "target"}
_SPACES = re.compile(r"\s+")


class Rendering(NamedTuple):
    text: str
    src_lang: str
    tgt_lang: str
    direction: str  # to_english | from_english | as_read (pairs without exactly one pivot side)
    template: int


@dataclass(frozen=True)
class CheckedPair:
    """A pair that passed the checks; ``doc`` is its rendered preview (before PII scrub)."""

    pair: BitextPair
    doc: Doc
    pivot_side: str  # "a" or "b"


def other_side(pair: BitextPair, pivot: str) -> str:
    """'a' or 'b': the side whose declared language is not the pivot ('b' when undecidable)."""
    if pair.lang_b == pivot and pair.lang_a != pivot:
        return "a"
    return "b"


def pair_name(pair: BitextPair, pivot: str) -> str:
    """'<other>-<pivot>' ('de-en', 'zh-en'); pairs without one pivot side: '<a>-<b>'."""
    if (pair.lang_a == pivot) != (pair.lang_b == pivot):
        other = pair.lang_b if pair.lang_a == pivot else pair.lang_a
        return f"{other}-{pivot}"
    return f"{pair.lang_a}-{pair.lang_b}"


def normalize_for_dedup(text: str) -> str:
    """NFKC, case-folded, white space collapsed: what 'the same sentence' means for dedup."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def dedup_key(pair: BitextPair, pivot: str) -> str:
    """Equal for pairs with the same languages and normalised sides, in either column order."""
    sides = sorted([(pair.lang_a, normalize_for_dedup(pair.text_a)), (pair.lang_b, normalize_for_dedup(pair.text_b))],
                   key=lambda side: (side[0] != pivot, side[0], side[1]))
    return stable_digest(sides[0][0], sides[0][1], sides[1][0], sides[1][1], length=16)


def choose_representatives(pairs: Iterable[CheckedPair]) -> tuple[CheckedPair, list[Dropped]]:
    """The pair with the smallest id is kept; the others are ``parallel:duplicate``."""
    ordered = sorted(pairs, key=lambda c: c.pair.id)
    kept = ordered[0]
    return kept, [Dropped(c.doc.with_metadata(duplicate_of=kept.pair.id), f"{STAGE}:duplicate") for c in ordered[1:]]


def render_pair(pair: BitextPair, text_a: str, text_b: str, section, seed: int) -> Rendering:
    """The training text of a pair: direction and template chosen by keyed hash of its id."""
    pivot = section.pivot
    one_pivot = (pair.lang_a == pivot) != (pair.lang_b == pivot)
    if one_pivot:
        other = other_side(pair, pivot)
        direction = section.directions
        if direction == "both":
            direction = ("to_english", "from_english")[keyed_choice_index(seed, "parallel/direction", pair.id, 2)]
        other_first = direction == "to_english"
        a_first = (other == "a") == other_first
    else:
        direction, a_first = "as_read", True
    if a_first:
        src_lang, src_text, tgt_lang, tgt_text = pair.lang_a, text_a, pair.lang_b, text_b
    else:
        src_lang, src_text, tgt_lang, tgt_text = pair.lang_b, text_b, pair.lang_a, text_a
    index = keyed_choice_index(seed, "parallel/template", pair.id, len(section.templates))
    text = section.templates[index].format(
        src_text=src_text, tgt_text=tgt_text, src_lang=src_lang, tgt_lang=tgt_lang,
        src_name=language_name(src_lang), tgt_name=language_name(tgt_lang),
    )
    return Rendering(text, src_lang, tgt_lang, direction, index)


def measure(doc: Doc) -> list[tuple[str, int]]:
    """The report's input-point figures for one pair (same keys as pipeline.run.point_stats)."""
    return point_figures("input", doc)


def _make_identifier(config):
    from pipeline.stages.langid import LanguageIdentifier  # imports Beam: only when building

    section = config.langid
    return LanguageIdentifier(section.model, top_k=config.parallel.top_k, sample_chars=section.sample_chars,
                              sample_windows=section.sample_windows, script_subtag=True)


def _make_counter(config):
    return make_counter(config.mixture.tokenizer)


class PairFilter:
    """Checks one pair at a time; build once per worker (it loads the language-ID model).

    ``config`` is the root Config. ``identifier`` (anything with ``predict_one(text)``
    returning ``.lang``/``.score``) and ``counter`` (``count(text)``) may be passed in to
    share them; by default they are built from ``config.langid`` and ``config.mixture.tokenizer``.
    """

    def __init__(self, config, identifier=None, counter=None):
        self.config = config
        self.section = config.parallel
        self.seed = int(config.seed)
        self.counter = counter if counter is not None else _make_counter(config)
        if identifier is None and self.section.langid:
            identifier = _make_identifier(config)
        self.identifier = identifier
        self._labels: frozenset | None = None

    def _doc(self, pair: BitextPair, text_a: str, text_b: str, scores: dict[str, float]) -> Doc:
        rendering = render_pair(pair, text_a, text_b, self.section, self.seed)
        side = other_side(pair, self.section.pivot)
        other_text = text_b if side == "b" else text_a
        script = dominant_script(other_text) if other_text else COMMON
        metadata = dict(pair.metadata)
        metadata.update(src_lang=rendering.src_lang, tgt_lang=rendering.tgt_lang, direction=rendering.direction,
                        template=rendering.template, pair=pair_name(pair, self.section.pivot))
        if scores:
            metadata["lang_scores"] = {SIDE_NAMES[k]: v for k, v in sorted(scores.items())}
        lang = pair.lang_b if side == "b" else pair.lang_a
        return Doc(id=pair.id, text=rendering.text, source=pair.source, lang=lang or UNDETERMINED,
                   lang_score=float(scores.get(side, 0.0)), script=script,
                   tokens=self.counter.count(rendering.text), metadata=metadata)

    def _length(self, text: str, lang: str) -> float:
        section = self.section
        if section.length_unit == "tokens":
            return float(self.counter.count(text))
        weight = section.length_weights.get(lang, section.length_weights.get(base_language(lang), 1.0))
        return weight * length_units(text, section.char_weights, 1.0)

    def _knows(self, lang: str) -> bool:
        """The model has a label for the language (True when it cannot list its labels)."""
        if self._labels is None:
            labels = getattr(self.identifier, "labels", None)
            self._labels = frozenset(base_language(code) for code in labels()) if labels else frozenset()
        return not self._labels or base_language(lang) in self._labels

    def _side(self, declared: str, evidence: SideEvidence, other: SideEvidence, pivot_side: bool,
              pivot_score: float | None = None) -> SideDecision:
        model = self.identifier is not None and self._knows(declared)
        topk: tuple[tuple[str, float], ...] = ()
        if model and evidence.script != COMMON:
            topk = tuple(self.identifier.predict_one(evidence.model_text).topk)
        return decide_side(declared, evidence, topk, self.section, model=model, pivot_side=pivot_side,
                           pivot_score=pivot_score, other_has_letters=other.script != COMMON)

    def _rule(self, pair: BitextPair, scores: dict[str, float]) -> str | None:
        section = self.section
        pivot = section.pivot
        if not pair.text_a:
            return "empty_source"
        if not pair.text_b:
            return "empty_target"
        pivots = (pair.lang_a == pivot) + (pair.lang_b == pivot)
        if pivots == 0:
            return "no_pivot"
        if pivots == 2:
            return "both_pivot"
        tokens = {"a": self.counter.count(pair.text_a), "b": self.counter.count(pair.text_b)}
        for side in ("a", "b"):
            if tokens[side] < section.min_tokens:
                return f"too_few_tokens_{SIDE_NAMES[side]}"
            if tokens[side] > section.max_tokens:
                return f"too_many_tokens_{SIDE_NAMES[side]}"
        short, long_ = sorted((self._length(pair.text_a, pair.lang_a), self._length(pair.text_b, pair.lang_b)))
        if long_ + section.length_slack > section.max_length_ratio * (short + section.length_slack):
            return "length_ratio"
        other = other_side(pair, pivot)
        pivot_side = "a" if other == "b" else "b"
        texts = {"a": pair.text_a, "b": pair.text_b}
        if "untranslated" in section.checks and untranslated(texts[pivot_side], texts[other]):
            return "untranslated"
        other_lang = pair.lang_a if other == "a" else pair.lang_b
        pivot_evidence = side_evidence(texts[pivot_side])
        # Latin words of a side in another script that occur on the pivot side are names carried over
        carried = None if script_is_usual(other_lang, "Latn") else texts[pivot_side]
        other_evidence = side_evidence(texts[other], carried)
        # the pivot side first: its score for the pivot language is the yardstick of row 5b
        pivot_decision = self._side(pivot, pivot_evidence, other_evidence, True)
        decision = self._side(other_lang, other_evidence, pivot_evidence, False, pivot_decision.declared_score)
        for side, result in ((other, decision), (pivot_side, pivot_decision)):  # the likelier wrong side first
            if result.declared_score is not None:
                scores[side] = result.declared_score
        for side, result in ((other, decision), (pivot_side, pivot_decision)):
            if result.reason is not None:
                return f"{result.reason}_{SIDE_NAMES[side]}"
        return failing_check(texts[pivot_side], texts[other], other_lang, section.checks)

    def check(self, pair: BitextPair) -> tuple[CheckedPair | Dropped, list[tuple[str, int]]]:
        """A CheckedPair or a Dropped, plus stats (input-point figures, dropped count)."""
        scores: dict[str, float] = {}
        rule = self._rule(pair, scores)
        doc = self._doc(pair, pair.text_a, pair.text_b, scores)
        stats = measure(doc)
        if rule is not None:
            name = pair_name(pair, self.section.pivot)
            stats.append((ParallelPair(name, "dropped").key, 1))
            stats.append((ParallelReason(name, rule).key, 1))
            return Dropped(doc, f"{STAGE}:{rule}"), stats
        return CheckedPair(pair, doc, "b" if other_side(pair, self.section.pivot) == "a" else "a"), stats


def _make_scrubber(config):
    from pipeline.stages.pii_core import PiiScrubber

    return PiiScrubber(config.pii, seed=int(config.seed))


class PairRenderer:
    """PII scrub of both sides and the final document; build once per worker.

    The scrubber is built only when both ``pii.enabled`` and ``parallel.pii`` are on;
    ``scrubber`` may be passed in (None with pii off).
    """

    def __init__(self, config, scrubber=None, counter=None):
        self.config = config
        self.section = config.parallel
        self.seed = int(config.seed)
        self.counter = counter if counter is not None else _make_counter(config)
        if scrubber is None and config.pii.enabled and self.section.pii:
            scrubber = _make_scrubber(config)
        self.scrubber = scrubber

    def finish(self, checked: CheckedPair) -> tuple[Doc | Dropped, list[tuple[str, int]]]:
        pair, preview = checked.pair, checked.doc
        name = pair_name(pair, self.section.pivot)
        stats: list[tuple[str, int]] = []
        text_a, text_b = pair.text_a, pair.text_b
        if self.scrubber is not None:
            scrubbed = []
            for text, lang in ((text_a, pair.lang_a), (text_b, pair.lang_b)):
                result = self.scrubber.scrub(text, lang)
                if result.drop_reason:
                    rule = result.drop_reason.split(":", 1)[-1]
                    stats.append((ParallelPair(name, "dropped").key, 1))
                    stats.append((ParallelReason(name, f"pii_{rule}").key, 1))
                    return Dropped(preview, f"{STAGE}:pii_{rule}"), stats
                for entity in sorted(result.counts):
                    stats.append((ParallelPiiEntity(entity, lang).key, result.counts[entity]))
                scrubbed.append(result.text)
            text_a, text_b = scrubbed
        doc = preview
        if (text_a, text_b) != (pair.text_a, pair.text_b):
            rendering = render_pair(pair, text_a, text_b, self.section, self.seed)
            doc = preview.with_(text=rendering.text, tokens=self.counter.count(rendering.text))
        stats.append((ParallelPair(name, "kept").key, 1))
        return doc, stats
