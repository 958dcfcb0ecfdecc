"""Stat keys: every figure a run counts, defined once.

A stage reports figures as ``(key, amount)`` pairs; the run sums them per key into
``OUTPUT/_run/stats.json`` (and ``report.json["stats"]``) and the report reads them back.
Each kind of key is a named tuple class declared below from a template, so a key is built
with ``PiiEntity(entity, lang).key`` and read with :func:`decode`, which returns the named
tuple and raises :class:`UnknownStat` on a key that no template matches: a misspelt key
fails a test instead of silently vanishing from the report.

Template syntax: slash-separated segments; ``{name}`` is a field, ``{name:a|b}`` a field
restricted to those values (checked when the key is built and when it is read),
``{name:int}`` an integer; any other segment is literal, and the first is the stage
name. Field values are escaped (``%`` -> ``%25``, ``/`` -> ``%2F``) so any value (a
document id, an evaluation item id) stays one segment. Two templates that could match the
same key are refused when this module is imported.

This module imports nothing from the rest of the package (it sits below the stages,
the run and the report).
"""

from __future__ import annotations

import re
from collections import namedtuple
from typing import Any, NamedTuple


class UnknownStat(ValueError):
    """A stat key that no template of this module matches."""


class _Segment(NamedTuple):
    literal: str | None  # a literal segment, or None for a field
    name: str = ""
    is_int: bool = False
    choices: frozenset[str] | None = None

    def accepts(self, text: str) -> bool:
        if self.literal is not None:
            return text == self.literal
        if self.is_int:
            return text.lstrip("-").isdigit()
        return self.choices is None or text in self.choices


KINDS: list[type] = []
_BY_SHAPE: dict[tuple[str, int], list[type]] = {}
_UNESCAPE = re.compile(r"%(25|2F)")


def _escape(value: str) -> str:
    if "%" in value or "/" in value:
        return value.replace("%", "%25").replace("/", "%2F")
    return value


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: "%" if m.group(1) == "25" else "/", text) if "%" in text else text


def _parse(template: str) -> tuple[_Segment, ...]:
    segments = []
    for part in template.split("/"):
        if not (part.startswith("{") and part.endswith("}")):
            segments.append(_Segment(part))
            continue
        name, _, spec = part[1:-1].partition(":")
        if spec == "int":
            segments.append(_Segment(None, name, is_int=True))
        else:
            segments.append(_Segment(None, name, choices=frozenset(spec.split("|")) if spec else None))
    if segments[0].literal is None:
        raise ValueError(f"stat template {template!r}: the first segment must be the stage name")
    return tuple(segments)


def _overlap(a: _Segment, b: _Segment) -> bool:
    """Whether some text is accepted by both segments."""
    if a.literal is not None and b.literal is not None:
        return a.literal == b.literal
    if a.literal is not None or b.literal is not None:
        literal, field = (a, b) if a.literal is not None else (b, a)
        return field.accepts(literal.literal)
    if a.choices is not None and b.choices is not None:
        return bool(a.choices & b.choices)
    if a.is_int or b.is_int:  # an int field and a choice field overlap if a choice is a number
        other = b if a.is_int else a
        return other.choices is None or any(c.lstrip("-").isdigit() for c in other.choices)
    return True


def _encode(self) -> str:
    parts = []
    values = iter(self)
    for segment in self.SEGMENTS:
        if segment.literal is not None:
            parts.append(segment.literal)
            continue
        value = next(values)
        if segment.is_int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{type(self).__name__}.{segment.name}: an integer, not {value!r}")
            parts.append(str(value))
            continue
        text = str(value)
        if segment.choices is not None and text not in segment.choices:
            raise ValueError(f"{type(self).__name__}.{segment.name}: {text!r} is not one of "
                             f"{', '.join(sorted(segment.choices))}")
        parts.append(_escape(text))
    return "/".join(parts)


def stat(name: str, template: str) -> type:
    """Declares a kind of stat key: a named tuple class whose ``key`` property encodes it."""
    segments = _parse(template)
    fields = [s.name for s in segments if s.literal is None]
    cls = type(name, (namedtuple(name, fields),), {
        "__slots__": (), "__module__": __name__, "TEMPLATE": template, "SEGMENTS": segments,
        "key": property(_encode, doc="The encoded stat key."),
        # two kinds with the same field values are different stats
        "__eq__": lambda self, other: type(self) is type(other) and tuple.__eq__(self, other),
        "__ne__": lambda self, other: not (type(self) is type(other) and tuple.__eq__(self, other)),
        "__hash__": lambda self: hash((name, tuple(self))),
    })
    shape = (segments[0].literal, len(segments))
    for other in _BY_SHAPE.get(shape, []):
        if all(_overlap(a, b) for a, b in zip(segments, other.SEGMENTS)):
            raise ValueError(f"stat templates {template!r} and {other.TEMPLATE!r} can match the same key")
    _BY_SHAPE.setdefault(shape, []).append(cls)
    KINDS.append(cls)
    return cls


def decode(key: str):
    """The named tuple of a stat key; raises :class:`UnknownStat` when no template matches."""
    parts = key.split("/")
    for cls in _BY_SHAPE.get((parts[0], len(parts)), ()):
        if all(segment.accepts(part) for segment, part in zip(cls.SEGMENTS, parts)):
            return cls(*[int(part) if segment.is_int else _unescape(part)
                         for segment, part in zip(cls.SEGMENTS, parts) if segment.literal is None])
    raise UnknownStat(f"unknown stat key {key!r}: no template in pipeline/stats.py matches it")


def decode_all(stats: dict[str, Any]) -> list[tuple[Any, Any]]:
    """``(named tuple, value)`` for every key of a stats table, in key order.

    Raises :class:`UnknownStat` naming (up to ten of) the keys no template matches.
    """
    out, unknown = [], []
    for key in sorted(stats):
        try:
            out.append((decode(key), stats[key]))
        except UnknownStat:
            unknown.append(key)
    if unknown:
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise UnknownStat(f"{len(unknown)} unknown stat keys (no template in pipeline/stats.py): "
                          f"{', '.join(repr(k) for k in unknown[:10])}{more}")
    return out


# ---------------------------------------------------------------------------- the run itself

ReadFigure = stat("ReadFigure", "read/{source}")
RejectedFigure = stat("RejectedFigure", "rejected/{source}/{reason}")
IdsRenamed = stat("IdsRenamed", "ids/renamed/{source}")
DroppedFigure = stat("DroppedFigure", "dropped/{reason}/{source}/{lang}/{measure:docs|tokens|chars}")
Point = stat("Point", "point/{point:input|filtered|final}/{source}/{lang}/{measure:docs|tokens|chars|bytes}")


def point_figures(point: str, doc) -> list[tuple[str, int]]:
    """Documents, tokens, characters and bytes of one document at a measuring point."""
    return [(Point(point, doc.source, doc.lang, "docs").key, 1),
            (Point(point, doc.source, doc.lang, "tokens").key, int(doc.tokens)),
            (Point(point, doc.source, doc.lang, "chars").key, doc.n_chars),
            (Point(point, doc.source, doc.lang, "bytes").key, doc.n_bytes)]


def dropped_figures(reason: str, doc) -> list[tuple[str, int]]:
    """Documents, tokens and characters of one document removed for ``reason`` ("stage:rule")."""
    return [(DroppedFigure(reason, doc.source, doc.lang, "docs").key, 1),
            (DroppedFigure(reason, doc.source, doc.lang, "tokens").key, int(doc.tokens)),
            (DroppedFigure(reason, doc.source, doc.lang, "chars").key, doc.n_chars)]


# ---------------------------------------------------------------------------- stages, in pipeline order

LangidCount = stat("LangidCount", "langid/{what:docs|sampled|no_letters}")
LangidLang = stat("LangidLang", "langid/{what:predicted|low_score|script_mismatch|kept}/{lang}")
LangidScoreHist = stat("LangidScoreHist", "langid/score_hist/{lang}/{bucket}")
LangidDropped = stat("LangidDropped", "langid/dropped/{reason}/{lang}")

UrlBlocked = stat("UrlBlocked", "url/blocklist/{match:domain|substring}/{source}")

DecontaminationFile = stat("DecontaminationFile", "decontamination/file/{file}/{lang}/{measure:docs|tokens}")
DecontaminationItem = stat("DecontaminationItem",
                           "decontamination/item/{file}/{item}/{lang}/{measure:docs|tokens|ngrams}")
DecontaminationAction = stat("DecontaminationAction",
                             "decontamination/{action:drop|mask|mark}/{source}/{lang}/{measure:docs|tokens}")
DecontaminationIndex = stat("DecontaminationIndex", "decontamination/index/{name}")

QualityLang = stat("QualityLang", "quality/{what:docs|kept|stopwords_skipped}/{lang}")
QualitySkippedSource = stat("QualitySkippedSource", "quality/skipped_source/{source}")
QualityDropped = stat("QualityDropped", "quality/dropped/{rule}/{lang}")
QualityC4 = stat("QualityC4", "quality/c4/{what:lines_removed|docs_modified}/{lang}")

DEDUP_KIND = "{kind:exact|near}"
DedupClusters = stat("DedupClusters", "dedup/clusters")
DedupClusterSize = stat("DedupClusterSize", "dedup/cluster_size/{size:int}")
DedupKindClusters = stat("DedupKindClusters", f"dedup/{DEDUP_KIND}/clusters")
DedupKindClusterSize = stat("DedupKindClusterSize", f"dedup/{DEDUP_KIND}/cluster_size/{{size:int}}")
DedupRemoved = stat("DedupRemoved", f"dedup/{DEDUP_KIND}/removed/{{lang}}")
DedupLargest = stat("DedupLargest", f"dedup/largest/{DEDUP_KIND}/{{doc_id}}")
DedupNear = stat("DedupNear", "dedup/near/{what:signatures|capped_buckets|capped_members|candidate_pairs|"
                              "verified_pairs|rejected_pairs|bands|rows|witness_promoted|witness_verified|"
                              "witness_failed|witness_unresolved}")
DedupNearLang = stat("DedupNearLang", "dedup/near/{what:short_docs|no_shingles}/{lang}")
DedupShingleUnit = stat("DedupShingleUnit", "dedup/near/shingle_unit/{unit}")
DedupBucketSize = stat("DedupBucketSize", "dedup/near/bucket_size/{bin}")
DedupRoundChanges = stat("DedupRoundChanges", "dedup/cc/changes/{round:int}")
DedupRoundsUsed = stat("DedupRoundsUsed", "dedup/cc/rounds_used")

PiiLang = stat("PiiLang", "pii/{what:docs|precheck_skipped|docs_with_pii|spans}/{lang}")
PiiEntity = stat("PiiEntity", "pii/entity/{entity}/{lang}")
PiiIgnored = stat("PiiIgnored", "pii/ignored/{rule}/{lang}")

ParallelPair = stat("ParallelPair", "parallel/pairs/{pair}/{outcome:kept|dropped}")
ParallelReason = stat("ParallelReason", "parallel/reasons/{pair}/{rule}")
ParallelPiiEntity = stat("ParallelPiiEntity", "parallel/pii/entity/{entity}/{lang}")

ControlTokensLang = stat("ControlTokensLang", "control_tokens/{what:docs|lookalikes_removed|selected|scored|"
                                              "below_first_level|lang|marked|added_tokens}/{lang}")
ControlTokensUnscored = stat("ControlTokensUnscored", "control_tokens/unscored/{reason}/{lang}")
ControlTokensToxicity = stat("ControlTokensToxicity", "control_tokens/toxicity/{level}/{lang}")

MIXTURE_BUCKET_FIGURES = ("counted_tokens", "available_docs", "available_tokens", "available_chars",
                          "available_bytes", "target_tokens", "planned_tokens", "shortfall_tokens", "epochs",
                          "selected_docs", "written_docs", "written_tokens", "copies")
MixtureBucket = stat("MixtureBucket", f"mixture/{{what:{'|'.join(MIXTURE_BUCKET_FIGURES)}}}/{{source}}/{{lang}}")
MixtureBudget = stat("MixtureBudget", "mixture/budget_tokens")

CanariesLang = stat("CanariesLang", "canaries/{what:skipped_languages|injected_docs|injected_tokens}/{lang}")
CanariesKind = stat("CanariesKind", "canaries/canaries/{kind}/{lang}")


def is_stat(key: str, kind: type, /, **fields: Any) -> bool:
    """Whether ``key`` is a ``kind`` stat whose named fields have these values."""
    decoded = decode(key)
    return type(decoded) is kind and all(getattr(decoded, name) == value for name, value in fields.items())
