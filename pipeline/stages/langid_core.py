"""Language identification with fastText: every document gets a language and a score.

Core (plain Python, no Beam calls): :class:`LanguageIdentifier` predicts ``(lang, score)`` for texts;
:func:`decide` turns a prediction into a kept or dropped document plus report stats.
Beam: :class:`LanguageId` batches documents, shares one model per worker process
(``apache_beam.utils.shared.Shared``) and returns the stage dict
``{"kept", "dropped", "stats"}``.

What the model sees (``prepare_text``): the whole text when it is at most
``sample_chars`` characters, else ``sample_windows`` windows of
``sample_chars / sample_windows`` characters spread evenly from the start to the end
of the document (partial words at window edges cut off); newlines and the Unicode
spaces fastText does not know become spaces; an all-capitals sample is lower-cased (lid.176 mistakes
capitals for other languages). Text without letters (empty, emoji, digits,
punctuation) is not given to the model: it is ``und`` with score 0.

What the text is written in comes from the shared script analysis
(:func:`pipeline.text.profile.analyze`, content-weighted: a Han character weighs like
a word). It decides the script subtag (only when the language's own content is in an
unusual script: ``hi-Latn``, ``sr-Latn``, never ``zh-Latn`` for a Chinese page naming
commands in English), ``zh-Hant`` for Traditional Chinese when ``chinese_variants`` is
on, and the script check: a label whose language CLDR does not write in the text's
dominant non-Latin script (``ja`` for Tai Tham, ``es`` for Cherokee) becomes ``und``
(``langid:script_mismatch``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple, Sequence

import regex

from pipeline.records import UNDETERMINED, Doc, Dropped
from pipeline.stats import LangidCount, LangidDropped, LangidLang, LangidScoreHist
from pipeline.text.langcodes import base_language, lang_for_text, lang_matches, script_consistent, try_normalize_lang
from pipeline.text.profile import ScriptProfile, analyze
from pipeline.text.script import COMMON
from pipeline.stages.langid_model import (  # noqa: F401 - re-exported
    BUNDLED,
    LangIdModelError,
    bundled_model_path,
    check_labels,
    check_model,
    label_to_lang,
    load_model,
    model_labels,
    resolve_model_path,
)

STAGE = "langid"
# --------------------------------------------------------------------------- text

_EDGE_WHITESPACE = regex.compile(r"\s")
# Python's whitespace that fastText does not split on (it knows ' ', \t, \v, \f, \r, \n, \0),
# listed explicitly: a plain character class is several times faster than [^\S ...]
_UNICODE_SPACE = re.compile("[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_EDGE_SEARCH = 32  # characters searched for a word boundary at a window's edges


def sample_text(text: str, max_chars: int, windows: int) -> str:
    """The text itself, or ``windows`` evenly spread windows totalling ~``max_chars``.

    Windows start at 0, at the end minus one window, and evenly in between; a window
    that starts or ends inside a word drops that partial word (searching at most 32
    characters, so spaceless scripts are cut anywhere).
    """
    n = len(text)
    if max_chars <= 0 or n <= max_chars:
        return text
    windows = max(1, min(windows, max_chars))
    width = max_chars // windows
    if windows == 1:
        starts = [0]
    else:
        starts = [(i * (n - width)) // (windows - 1) for i in range(windows)]
    pieces = []
    for start in starts:
        end = start + width
        piece = text[start:end]
        if start > 0 and not text[start - 1].isspace():
            cut = _EDGE_WHITESPACE.search(piece, 0, _EDGE_SEARCH)
            if cut is not None:
                piece = piece[cut.end():]
        if end < n and not text[end].isspace():
            tail_from = max(0, len(piece) - _EDGE_SEARCH)
            last = None
            for last in _EDGE_WHITESPACE.finditer(piece, tail_from):
                pass
            if last is not None:
                piece = piece[: last.start()]
        pieces.append(piece)
    return " ".join(pieces)


def prepare_text(text: str, max_chars: int = 2000, windows: int = 4) -> str:
    """The single line the model sees: a bounded sample, every whitespace a space.

    fastText splits words on ASCII whitespace runs itself, so only newlines (its line
    end) and the Unicode spaces it does not know need replacing.
    """
    line = sample_text(text, max_chars, windows).replace("\n", " ")
    if not line.isascii():
        line = _UNICODE_SPACE.sub(" ", line)
    if line.isupper():
        line = line.lower()
    return line


# --------------------------------------------------------------------------- core


# labels the model lists when a document declares a language: enough for a declared
# language the model ranks low on a short or mixed text to be weighed at all
HINT_LABELS = 10


class LangPrediction(NamedTuple):
    """What the model says about one text."""

    lang: str  # product code ("und" when the text has no letters or the label is unknown)
    score: float  # probability of the top label, rounded to 4 decimals (0.0 without letters)
    script: str  # dominant script of the text (ISO 15924), "Zyyy" without letters
    # (code, score) of the model's best labels, best first; codes are the labels'
    # (no script added from the text), labels that normalise alike appear once
    topk: tuple[tuple[str, float], ...] = ()
    sampled: bool = False  # the model saw a sample of a long text, not all of it
    # the label's language is not written in the text's dominant non-Latin script: lang is
    # then "und" and the model's label is topk[0]
    script_mismatch: bool = False

    @property
    def has_letters(self) -> bool:
        return self.script != COMMON


class LanguageIdentifier:
    """Predicts languages with a fastText model; construct once, call :meth:`predict` on batches.

    ``model`` is 'bundled', a path or URL, or an already loaded fastText model (to
    share one between identifiers).
    """

    def __init__(
        self,
        model="bundled",
        *,
        top_k: int = 1,
        sample_chars: int = 2000,
        sample_windows: int = 4,
        script_subtag: bool = True,
        chinese_variants: bool = False,
        script_check: bool = True,
        hint_weight: float = 10.0,
    ):
        self._model = load_model(model) if isinstance(model, str) else model
        self._predict_line = self._model.f.predict  # the C++ call, without the wrapper's checks
        self.top_k = max(1, int(top_k))
        self.sample_chars = int(sample_chars)
        self.sample_windows = int(sample_windows)
        self.script_subtag = bool(script_subtag)
        self.chinese_variants = bool(chinese_variants)
        self.script_check = bool(script_check)
        self.hint_weight = float(hint_weight)
        self._label_codes: dict[str, str] = {}

    @classmethod
    def from_config(cls, section, model=None) -> "LanguageIdentifier":
        """From a LangIdConfig; ``model`` overrides ``section.model`` with a loaded model."""
        return cls(
            model if model is not None else section.model,
            top_k=max(1, section.top_k),
            sample_chars=section.sample_chars,
            sample_windows=section.sample_windows,
            script_subtag=section.script_subtag,
            chinese_variants=section.chinese_variants,
            script_check=section.script_check,
            hint_weight=section.hint_weight,
        )

    def labels(self) -> list[str]:
        """Product codes of the languages the model knows, sorted."""
        return sorted({label_to_lang(label) for label in model_labels(self._model)} - {UNDETERMINED})

    def _label_code(self, label: str) -> str:
        code = self._label_codes.get(label)
        if code is None:
            code = self._label_codes[label] = label_to_lang(label)
        return code

    def _code(self, label: str, profile: ScriptProfile) -> str:
        """The document's code: the label's, with a script subtag only when the language's
        own content is in an unusual script (and zh-Hant with ``chinese_variants``)."""
        return lang_for_text(self._label_code(label), profile, han_variants=self.chinese_variants,
                             script_subtag=self.script_subtag)

    def _raw_predict(self, line: str, k: int) -> list[tuple[float, str]]:
        try:
            return self._predict_line(line + "\n", k, 0.0, "replace")
        except (UnicodeEncodeError, TypeError):  # pybind11 refuses lone surrogates (no UTF-8 form)
            clean = line.encode("utf-8", "replace").decode("utf-8")
            return self._predict_line(clean + "\n", k, 0.0, "replace")

    def _with_prior(self, raw: list[tuple[float, str]], hint: str) -> list[tuple[float, str]]:
        """Bayes' rule with prior odds ``hint_weight``:1 for the declared language: the
        labels of that language are weighted, the rest (and the probability mass of the
        labels not listed) stay, and everything is renormalised; best first."""
        declared = base_language(hint)  # 'zh-Hant' declared: the model's 'zh' labels
        weighted = [(prob * self.hint_weight if lang_matches(self._label_code(label), declared) else prob, label)
                    for prob, label in raw]
        total = sum(prob for prob, _ in weighted) + max(0.0, 1.0 - sum(prob for prob, _ in raw))
        return sorted(((prob / total, label) for prob, label in weighted), key=lambda item: -item[0])

    def predict_one(self, text: str, profile: ScriptProfile | None = None, hint: str | None = None) -> LangPrediction:
        """Predict one text; ``profile`` is its :func:`~pipeline.text.profile.analyze` if already known.

        ``hint`` is a language the document declares (a product code); its probability is
        multiplied by ``hint_weight`` and the labels renormalised before the best is taken.
        """
        if profile is None:
            profile = analyze(text)
        script = profile.dominant
        if script == COMMON:
            return LangPrediction(UNDETERMINED, 0.0, script)
        line = prepare_text(text, self.sample_chars, self.sample_windows)
        sampled = 0 < self.sample_chars < len(text)
        raw = self._raw_predict(line, max(HINT_LABELS, self.top_k) if hint else self.top_k)
        if hint and raw:
            raw = self._with_prior(raw, hint)[: self.top_k]
        if not raw:
            return LangPrediction(UNDETERMINED, 0.0, script, (), sampled)
        score = round(min(1.0, raw[0][0]), 4)
        label_code = self._label_code(raw[0][1])
        mismatch = self.script_check and not script_consistent(label_code, profile)
        lang = UNDETERMINED if mismatch else self._code(raw[0][1], profile)
        if self.top_k == 1:
            return LangPrediction(lang, score, script, ((label_code, score),), sampled, mismatch)
        topk: list[tuple[str, float]] = []
        for prob, label in raw:
            code = self._label_code(label)
            if all(code != seen for seen, _ in topk):  # labels that normalise alike: keep the best
                topk.append((code, round(min(1.0, prob), 4)))
        return LangPrediction(lang, score, script, tuple(topk), sampled, mismatch)

    def predict(self, texts: Sequence[str]) -> list[LangPrediction]:
        """Predict a batch of texts (fasttext-predict's batch call returns no scores, so one call per text)."""
        return [self.predict_one(text) for text in texts]


_BUCKETS = tuple(f"{i / 10:.1f}" for i in range(10))


def _score_bucket(score: float) -> str:
    """'0.0' .. '0.9': the tenth the score falls in (1.0 counts in '0.9')."""
    return _BUCKETS[min(9, max(0, int(score * 10)))]


def decide(doc: Doc, prediction: LangPrediction, section, stats: Counter) -> Doc | Dropped:
    """Apply thresholds and language lists to one prediction; add report stats to ``stats``.

    Kept documents carry lang/lang_score/script (and metadata['lang_topk'] when
    top_k > 0); dropped ones carry the model's language (never 'und' for a low
    score), so the report can say which languages were dropped.
    """
    events: Counter = Counter()
    result = _decide(doc, prediction, section, events)
    stats.update(_stats_of_events(events))
    return result


def _decide(doc: Doc, prediction: LangPrediction, section, events: Counter) -> Doc | Dropped:
    """:func:`decide`, counting one event tuple per document (turned into stats per batch)."""
    predicted = prediction.lang
    score = prediction.score
    reason = None
    lang = predicted
    low = False
    mismatch = prediction.script_mismatch
    if mismatch:
        predicted = prediction.topk[0][0]  # the model's label, for the report
    if not prediction.has_letters:
        if section.on_low_score == "drop":
            reason = "no_letters"
        lang = UNDETERMINED
    elif mismatch:
        if section.on_low_score == "drop":
            reason = "script_mismatch"
        lang = UNDETERMINED
    elif predicted == UNDETERMINED or score < section.threshold_for(predicted):
        low = True
        if section.on_low_score == "drop":
            reason = "low_score"
        lang = UNDETERMINED
    if reason is None and section.keep_languages:
        if not any(lang_matches(lang, wanted) for wanted in section.keep_languages):
            reason = "not_kept_language"
    if reason is None and section.drop_languages:
        if any(lang_matches(lang, unwanted) for unwanted in section.drop_languages):
            reason = "dropped_language"
    bucket = _score_bucket(score) if prediction.has_letters else None
    events[(predicted, bucket, low, mismatch, prediction.sampled, reason, lang)] += 1

    if section.top_k > 0:
        metadata = dict(doc.metadata)
        metadata["lang_topk"] = [[code, value] for code, value in prediction.topk[: section.top_k]]
        annotated = doc.with_(lang=predicted if reason else lang, lang_score=score, script=prediction.script,
                              metadata=metadata)
    else:
        annotated = doc.with_(lang=predicted if reason else lang, lang_score=score, script=prediction.script)
    if reason is not None:
        return Dropped(annotated, f"{STAGE}:{reason}")
    return annotated


def _stats_of_events(events: Counter) -> Counter:
    """The report's stat keys (see docs/langid.md) from (predicted, bucket, low, mismatch, sampled, reason, lang) counts."""
    stats: Counter = Counter()
    for (predicted, bucket, low, mismatch, sampled, reason, lang), n in events.items():
        stats[LangidCount("docs").key] += n
        stats[LangidLang("predicted", predicted).key] += n
        if sampled:
            stats[LangidCount("sampled").key] += n
        if bucket is None:
            stats[LangidCount("no_letters").key] += n
        else:
            stats[LangidScoreHist(predicted, bucket).key] += n
        if low:
            stats[LangidLang("low_score", predicted).key] += n
        if mismatch:
            stats[LangidLang("script_mismatch", predicted).key] += n
        if reason is not None:
            stats[LangidDropped(reason, predicted).key] += n
        else:
            stats[LangidLang("kept", lang).key] += n
    return stats


def identify_batch(
    identifier: LanguageIdentifier, section, docs: Sequence[Doc]
) -> tuple[list[Doc | Dropped], Counter]:
    """Predict and decide a batch of documents; returns the results (in order) and summed stats."""
    events: Counter = Counter()
    predict_one = identifier.predict_one
    fields = section.hint_fields
    results = [_decide(doc, predict_one(doc.text, hint=declared_language(doc.metadata, fields) if fields else None),
                       section, events) for doc in docs]
    return results, _stats_of_events(events)


def declared_language(metadata: dict, fields: Sequence[str]) -> str | None:
    """The first language a document declares in ``fields`` of its metadata ('de-CH',
    'en, fr' -> its first code), normalised; None when no field names a language."""
    for field in fields:
        value = metadata.get(field)
        if isinstance(value, str) and value.strip():
            code = try_normalize_lang(value.split(",")[0].strip())
            if code != UNDETERMINED:
                return code
    return None
