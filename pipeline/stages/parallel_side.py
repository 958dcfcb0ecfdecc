"""The language decision for one side of a pair (no Beam, no model: the caller passes its labels).

Sentence-level language ID is unreliable on strings of a few words ("Enter new
password" -> en 0.12), so a side is not held to a minimum score for its declared
language. The decision uses what is known: the declared language, the side's
scripts and the model's best labels. The first row that applies decides:

====  ==========================================================  ===============================
row   condition                                                   verdict
====  ==========================================================  ===============================
1     the side has no letters (numbers, placeholders, symbols):  accept (nothing to contradict)
      accepted when the other side has none either, else          or reject ``wrong_script``
      rejected
2     its dominant script is not how the declared language is     reject ``wrong_script``
      written (``hi`` in Latin letters, ``zh`` in Cyrillic)
3     a script the declared language requires is missing (``ko``  reject ``wrong_script``
      without Hangul), one it cannot contain is present (``zh``
      with kana), or its Han characters contradict a declared
      ``zh-Hans``/``zh-Hant``
4     language ID is off, or the model has no label for the       accept
      declared language
5     the model gives another language that fits the side's      reject ``wrong_language``
      scripts (rows 2-3 for that language; a ``ja`` label also
      needs kana) a score of at least ``min_other_score``
      (``pivot_min_other_score`` on the pivot side) and at least
      ``margin`` more than the declared language's
5b    other side, with ``pivot_ratio`` set (off by default):     reject ``wrong_language``
      the model's score for the pivot language
      on it is at least ``pivot_floor``, above the declared
      language's, and at least ``pivot_ratio`` times its score
      on the pivot side (the side is as English as the English
      one)
6     otherwise                                                   accept
====  ==========================================================  ===============================

Labels that do not fit the side's scripts are ignored in row 5, so a label the
model gives by mistake ("hy" for the Latin "Enter a valid URL.", "ja" for kana-less
Chinese) does not reject a side.
"""

from __future__ import annotations

import regex
from typing import NamedTuple

from pipeline.stages.parallel_checks import strip_urls_and_placeholders
from pipeline.text.langcodes import base_language, interchangeable, script_is_usual
from pipeline.text.profile import analyze
from pipeline.text.script import COMMON

_NOT_WORD = regex.compile(r"[^\p{L}\p{M}\p{N}]+")
_LATIN_WORD = regex.compile(r"(?<![\p{L}\p{M}])\p{Script=Latin}[\p{Script=Latin}\p{M}]*(?![\p{L}\p{M}])")


class SideEvidence(NamedTuple):
    """What the script analysis says about one side, and the text the model should see."""

    script: str  # dominant script of its letters ("Zyyy": none)
    present: frozenset  # scripts with at least one letter
    han_variant: str | None  # "Hans" | "Hant" when its Han characters are clearly one system
    model_text: str  # the side's words (letters, marks, digits) without placeholders, markup, URLs


class SideDecision(NamedTuple):
    row: int  # the decision-table row that decided
    reason: str | None  # None: accepted; else wrong_script | wrong_language
    declared_score: float | None  # the model's score for the declared language (None: not asked)
    other: tuple[str, float] | None = None  # the best other language that fits the side, with its score


def side_evidence(text: str, carried_from: str | None = None) -> SideEvidence:
    """Script analysis (:func:`pipeline.text.profile.analyze`: a CJK character weighs like a
    word) of a side without its placeholders, markup, URLs and e-mail addresses.

    ``carried_from``: the other side's text, for a side whose language is not written in
    Latin letters: its Latin words that occur there ("مستند AppleWorks" / "AppleWorks
    document") are names carried over, not evidence of its language, and are left out.
    """
    clean = _NOT_WORD.sub(" ", strip_urls_and_placeholders(text)).strip()
    if carried_from is not None:
        folded = carried_from.casefold()
        clean = _LATIN_WORD.sub(lambda m: " " if m.group().casefold() in folded else m.group(), clean)
        clean = " ".join(clean.split())
    profile = analyze(clean)
    if carried_from is not None and not profile.has_letters:  # nothing but carried words: keep them
        return side_evidence(text)
    return SideEvidence(profile.dominant, frozenset(s for s, w in profile.weights.items() if w > 0),
                        profile.han_variant, clean)


def _same_language(label: str, declared: str) -> bool:
    return base_language(label) == base_language(declared) or interchangeable(base_language(label),
                                                                               base_language(declared))


def _table_entry(table: dict[str, list[str]], code: str) -> list[str] | None:
    return table.get(code) or table.get(base_language(code))


def script_fits(code: str, evidence: SideEvidence, section, label: bool = False) -> bool:
    """Rows 2-3 for ``code``: the side's scripts are how that language is written.

    ``label``: ``code`` is a model label, not the declaration; it must also have the
    scripts of ``label_required_scripts`` (the model's ``ja`` counts only with kana).
    """
    if not script_is_usual(code, evidence.script):
        return False
    tables = [section.required_scripts] + ([section.label_required_scripts] if label else [])
    for table in tables:
        required = _table_entry(table, code)
        if required and not any(script in evidence.present for script in required):
            return False
    forbidden = _table_entry(section.forbidden_scripts, code)
    if forbidden and any(script in evidence.present for script in forbidden):
        return False
    # a declared script subtag of Han (zh-Hans, zh-Hant) must not be contradicted by the characters
    wanted = code.split("-")[1] if code.count("-") == 1 and code.split("-")[1] in ("Hans", "Hant") else None
    return not (wanted and evidence.han_variant and evidence.han_variant != wanted)


def decide_side(declared: str, evidence: SideEvidence, topk, section, model: bool = True,
                pivot_side: bool = False, pivot_score: float | None = None,
                other_has_letters: bool = True) -> SideDecision:
    """The decision table above for a side declared ``declared``; ``topk`` is the model's
    (code, score) labels, best first (empty when the side was not given to a model).

    ``pivot_side``: the side declared in the pivot language, held to
    ``pivot_min_other_score`` instead of ``min_other_score``. ``pivot_score``: for the
    other side, the model's score for the pivot language on the pivot side (row 5b).
    ``model=False`` (language ID off, or a language the model does not know): row 4.
    ``other_has_letters``: the other side of the pair has letters (row 1).
    """
    if evidence.script == COMMON:
        return SideDecision(1, "wrong_script" if other_has_letters else None, None)
    if not script_is_usual(declared, evidence.script):
        return SideDecision(2, "wrong_script", None)
    if not script_fits(declared, evidence, section):
        return SideDecision(3, "wrong_script", None)
    if not model:
        return SideDecision(4, None, None)
    declared_score = 0.0
    pivot_here = 0.0
    best: tuple[str, float] | None = None
    for code, score in topk:
        if _same_language(code, declared):
            declared_score = max(declared_score, float(score))
        elif best is None and script_fits(code, evidence, section, label=True):
            best = (code, float(score))
        if _same_language(code, section.pivot):
            pivot_here = max(pivot_here, float(score))
    floor = section.pivot_min_other_score if pivot_side else section.min_other_score
    if best is not None and best[1] >= floor and best[1] - declared_score >= section.margin:
        return SideDecision(5, "wrong_language", declared_score, best)
    if (not pivot_side and section.pivot_ratio is not None and pivot_score and pivot_here >= section.pivot_floor
            and pivot_here >= section.pivot_ratio * pivot_score and pivot_here > declared_score):
        return SideDecision(5, "wrong_language", declared_score, (section.pivot, pivot_here))
    return SideDecision(6, None, declared_score, best)
