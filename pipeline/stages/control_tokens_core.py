"""Control tokens (PaLM 2): mark a small, keyed fraction of documents with special tokens.

For a fraction of the documents chosen by a keyed hash of (seed, id), the stage scores
the toxicity of the text, maps the score to a level and writes the level's token
(``<|toxicity:high|>``) before (or after) the text; optionally a language token too.
Everything is configurable (``control_tokens`` in the YAML, see docs/control_tokens.md).

The first part of this module is the pure-Python core (no Beam): text normalization
for matching, :class:`Lexicon`, the scorers (an interface with two implementations:
:class:`LexiconScorer` and :class:`MetadataFieldScorer`) and :class:`ControlTokenMarker`,
which decides for one document. The last part is the Beam transform
:class:`ControlTokens`:

* ``kept``    — every document; the marked ones with tokens added to ``Doc.text``,
  ``Doc.tokens`` increased and ``metadata["control_tokens"]`` (the token strings),
  ``metadata["toxicity_level"]`` / ``metadata["toxicity_score"]`` when scored;
* ``dropped`` — normally empty: only a document whose whole text was a control-token
  look-alike (removed from real text, see below) is dropped, reason
  ``control_tokens:empty_after_lookalikes``;
* ``stats``   — ``control_tokens/docs/<lang>``, ``control_tokens/selected/<lang>``,
  ``control_tokens/scored/<lang>``, ``control_tokens/unscored/<why>/<lang>``,
  ``control_tokens/toxicity/<level>/<lang>``, ``control_tokens/below_first_level/<lang>``,
  ``control_tokens/lang/<lang>``, ``control_tokens/marked/<lang>``,
  ``control_tokens/added_tokens/<lang>``, ``control_tokens/lookalikes_removed/<lang>``.

Strings in real text that look like a control token (``<|toxicity:low|>`` typed on a web
page) are removed from every document, so that the model only ever sees the tokens
this stage writes.
"""

from __future__ import annotations

import math
import os
import re
import string
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Protocol


from pipeline.hashing import keyed_uniform
from pipeline.mixture.tokens import count_tokens
from pipeline.records import UNDETERMINED, Doc, Dropped
from pipeline.text.segment import has_spaceless, words
from pipeline.stats import ControlTokensLang, ControlTokensToxicity, ControlTokensUnscored

STAGE = "control_tokens"
PURPOSE = "control_tokens"  # one keyed draw per document, shared by every attribute
EMPTY_AFTER_LOOKALIKES = f"{STAGE}:empty_after_lookalikes"
BUNDLED_LEXICON_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                   "data", "lexicons", "toxicity")

# ----------------------------------------------------------------------------- matching text

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # harakat, tatweel
_ARABIC_FOLD = str.maketrans({"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627"})
_CYRILLIC_FOLD = str.maketrans({"ё": "е"})


def normalize_for_matching(text: str) -> str:
    """The form in which texts and lexicon terms are compared.

    NFKC (full-width letters, ligatures), case folding (``ß`` -> ``ss``, ``É`` -> ``é``),
    ``ё`` -> ``е``, Arabic diacritics and tatweel removed, Arabic alef variants unified.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = text.translate(_CYRILLIC_FOLD)
        if any("\u0600" <= c <= "\u06ff" for c in text):
            text = _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_FOLD)
    return text


class LexiconError(ValueError):
    """A lexicon file that cannot be used (message names the file and line)."""


@dataclass(frozen=True)
class Lexicon:
    """A weighted list of toxic terms of one language.

    * terms with a letter of a spaceless script (Han, kana, Thai, ...) are matched as
      substrings of the text (longest term first, non-overlapping);
    * other terms are matched as whole words (``pipeline.text.segment.words``) of the
      normalized text; ``term*`` matches every word starting with ``term``; several
      words form a phrase matched as consecutive words.

    Each word of the text counts at most once (phrase first, then exact word, then the
    longest prefix).
    """

    lang: str
    words: Mapping[str, float] = field(default_factory=dict)
    prefixes: Mapping[str, float] = field(default_factory=dict)
    phrases: Mapping[tuple, float] = field(default_factory=dict)
    substrings: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, lang: str, text: str, origin: str = "<lexicon>") -> "Lexicon":
        words_: dict[str, float] = {}
        prefixes: dict[str, float] = {}
        phrases: dict[tuple, float] = {}
        substrings: dict[str, float] = {}
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            term, weight = line, 1.0
            if "\t" in line:
                term, _, weight_text = line.partition("\t")
                term = term.strip()
                try:
                    weight = float(weight_text.strip())
                except ValueError:
                    raise LexiconError(f"{origin}:{number}: weight {weight_text.strip()!r} is not a number") from None
                if not (math.isfinite(weight) and weight > 0):
                    raise LexiconError(f"{origin}:{number}: weight must be a positive number (got {weight_text.strip()})")
            wildcard = term.endswith("*")
            norm = normalize_for_matching(term[:-1] if wildcard else term).strip()
            if not norm or "*" in norm:
                raise LexiconError(f"{origin}:{number}: '*' may only end a term, and a term needs letters")
            if has_spaceless(norm):
                if wildcard:
                    raise LexiconError(f"{origin}:{number}: '*' is not allowed on spaceless-script terms "
                                       "(they already match as substrings)")
                substrings[norm] = weight
                continue
            parts = tuple(words(norm))
            if not parts:
                raise LexiconError(f"{origin}:{number}: the term {term!r} has no word in it")
            if len(parts) > 1:
                if wildcard:
                    raise LexiconError(f"{origin}:{number}: '*' is only allowed on single words")
                phrases[parts] = weight
            elif wildcard:
                prefixes[parts[0]] = weight
            else:
                words_[parts[0]] = weight
        return cls(lang, words_, prefixes, phrases, substrings)

    def __len__(self) -> int:
        return len(self.words) + len(self.prefixes) + len(self.phrases) + len(self.substrings)

    def _substring_pattern(self):
        pattern = getattr(self, "_compiled", None)
        if pattern is None:
            # longest first so that the regex alternation prefers 他妈的 over a shorter term
            terms = sorted(self.substrings, key=lambda t: (-len(t), t))
            pattern = re.compile("|".join(re.escape(t) for t in terms)) if terms else False
            object.__setattr__(self, "_compiled", pattern)
        return pattern

    def _prefix_lengths(self) -> tuple:
        lengths = getattr(self, "_lengths", None)
        if lengths is None:
            lengths = tuple(sorted({len(p) for p in self.prefixes}, reverse=True))
            object.__setattr__(self, "_lengths", lengths)
        return lengths

    def hits(self, text: str) -> tuple[float, int]:
        """(weighted hits, words) of ``text``; words count spaceless characters one each."""
        norm = normalize_for_matching(text)
        total = 0.0
        pattern = self._substring_pattern()
        if pattern:
            total += sum(self.substrings[m.group(0)] for m in pattern.finditer(norm))
        items = words(norm)
        if self.words or self.prefixes or self.phrases:
            max_phrase = max((len(p) for p in self.phrases), default=0)
            lengths = self._prefix_lengths()
            i, n = 0, len(items)
            while i < n:
                matched = False
                for k in range(min(max_phrase, n - i), 1, -1):
                    weight = self.phrases.get(tuple(items[i:i + k]))
                    if weight is not None:
                        total += weight
                        i += k
                        matched = True
                        break
                if matched:
                    continue
                word = items[i]
                weight = self.words.get(word)
                if weight is None:
                    for length in lengths:
                        if len(word) >= length:
                            weight = self.prefixes.get(word[:length])
                            if weight is not None:
                                break
                if weight is not None:
                    total += weight
                i += 1
        return total, len(items)


def lexicon_score(hits: float, n_words: int, saturation_per_100: float, min_tokens: int) -> float:
    """score = min(1, 100 * hits / max(words, min_tokens) / saturation_per_100), 6 decimals."""
    density = 100.0 * hits / max(n_words, min_tokens)
    return round(min(1.0, density / saturation_per_100), 6)


def load_lexicons(directory: str | None = None,
                  list_files: Callable[[str], list[str]] | None = None,
                  read: Callable[[str], bytes] | None = None) -> dict[str, Lexicon]:
    """Every ``<lang>.txt`` in ``directory`` (default: the bundled lists), through FileSystems."""
    from pipeline import files as fs  # lazy: imports Beam; the core stays Beam-free

    directory = directory or BUNDLED_LEXICON_DIR
    list_files = list_files or (lambda d: fs.expand_patterns([fs.join(d, "*.txt")]))
    read = read or fs.read_bytes
    paths = list_files(directory)
    if not paths:
        raise LexiconError(f"control_tokens.toxicity.lexicon_dir: no <lang>.txt file in '{directory}'")
    lexicons = {}
    for path in sorted(paths):
        lang = path.replace("\\", "/").rsplit("/", 1)[-1][: -len(".txt")]
        try:
            text = read(path).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LexiconError(f"{path}: not UTF-8 text: {exc}") from None
        lexicons[lang] = Lexicon.parse(lang, text, origin=path)
    return lexicons


# ----------------------------------------------------------------------------- scorers


@dataclass(frozen=True)
class Score:
    """A toxicity score in [0, 1], or None with the reason it could not be computed."""

    value: float | None
    unscored: str = ""  # no_lexicon | missing | invalid


class ToxicityScorer(Protocol):
    """Scores one document; a new scorer only needs this method (and a ``name``)."""

    name: str

    def score(self, text: str, lang: str, metadata: Mapping[str, Any]) -> Score: ...


class LexiconScorer:
    """Weighted lexicon hits per 100 words of the document's language list."""

    name = "lexicon"

    def __init__(self, lexicons: Mapping[str, Lexicon], fallback: str | None = None,
                 saturation_per_100: float = 10.0, min_tokens: int = 20):
        self._lexicons = dict(lexicons)
        self._fallback = fallback
        self._saturation = saturation_per_100
        self._min_tokens = min_tokens

    def lexicon_for(self, lang: str) -> Lexicon | None:
        found = self._lexicons.get(lang)
        if found is None and self._fallback is not None:
            found = self._lexicons.get(self._fallback)
        return found

    def score(self, text: str, lang: str, metadata: Mapping[str, Any]) -> Score:
        lexicon = self.lexicon_for(lang)
        if lexicon is None:
            return Score(None, "no_lexicon")
        hits, n_words = lexicon.hits(text)
        return Score(lexicon_score(hits, n_words, self._saturation, self._min_tokens))


class MetadataFieldScorer:
    """A score computed offline (e.g. Perspective API TOXICITY) stored in ``metadata[field]``."""

    name = "metadata_field"

    def __init__(self, field_name: str):
        self._field = field_name

    def score(self, text: str, lang: str, metadata: Mapping[str, Any]) -> Score:
        if self._field not in metadata or metadata[self._field] is None:
            return Score(None, "missing")
        value = metadata[self._field]
        if isinstance(value, bool):
            return Score(None, "invalid")
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                return Score(None, "invalid")
        if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0.0 <= value <= 1.0:
            return Score(None, "invalid")
        return Score(round(float(value), 6))


def make_scorer(toxicity, lexicons: Mapping[str, Lexicon] | None = None) -> ToxicityScorer:
    """The scorer a ``ToxicityTokenConfig`` asks for (lexicons loaded when not given)."""
    if toxicity.scorer == "metadata_field":
        return MetadataFieldScorer(toxicity.field)
    if toxicity.scorer == "lexicon":
        if lexicons is None:
            lexicons = load_lexicons(toxicity.lexicon_dir)
        return LexiconScorer(lexicons, toxicity.fallback_lexicon, toxicity.saturation_per_100, toxicity.min_tokens)
    raise ValueError(f"unknown toxicity scorer {toxicity.scorer!r}")


def level_for(score: float, levels: Mapping[str, float]) -> str | None:
    """The highest level (in the order written, minimums increasing) that ``score`` reaches."""
    found = None
    for name, minimum in levels.items():
        if score >= minimum:
            found = name
    return found


# ----------------------------------------------------------------------------- marking


def lookalike_pattern(templates: Iterable[str]) -> re.Pattern | None:
    """A regex of strings shaped like any of ``templates`` ('{x}' = up to 64 non-space chars)."""
    alternatives = []
    for template in templates:
        parts = [(literal, name) for literal, name, _, _ in string.Formatter().parse(template)]
        regex_text = "".join(re.escape(literal) + (r"\S{1,64}?" if name is not None else "") for literal, name in parts)
        if regex_text:
            alternatives.append(regex_text)
    if not alternatives:
        return None
    return re.compile("|".join(f"(?:{a})" for a in sorted(alternatives)))


@dataclass(frozen=True)
class Decision:
    """What the stage does with one document: the Doc (or Dropped) and its stats."""

    result: Doc | Dropped
    stats: tuple


class ControlTokenMarker:
    """Decides for one document (pure Python): which tokens, where, and the new token count.

    ``config`` is a ``ControlTokensConfig``; ``scorer`` is needed when ``toxicity`` is
    an attribute; ``counter`` (a mixture TokenCounter) when text must be recounted.
    """

    def __init__(self, config, seed: int, scorer: ToxicityScorer | None = None, counter=None):
        self._config = config
        self._seed = int(seed)
        self._scorer = scorer
        self._counter = counter
        self._attributes = tuple(config.attributes)
        if "toxicity" in self._attributes and scorer is None:
            raise ValueError("the toxicity attribute needs a scorer")
        templates = [getattr(config, a).token for a in self._attributes]
        self._lookalikes = lookalike_pattern(templates)

    def draw(self, doc_id: str) -> float:
        """The document's uniform draw in [0, 1): an attribute applies when it is < its fraction."""
        return keyed_uniform(self._seed, PURPOSE, doc_id)

    def _count(self, text: str, script: str) -> int:
        if self._counter is None:

            return count_tokens(text, script or None)
        return self._counter.count(text, script or None)

    def mark(self, doc: Doc) -> Decision:
        cfg = self._config
        lang = doc.lang
        stats: list[tuple[str, int]] = [(ControlTokensLang("docs", lang).key, 1)]
        text, base_tokens = doc.text, doc.tokens
        if self._lookalikes is not None:
            cleaned, removed = self._lookalikes.subn("", text)
            if removed:
                stats.append((ControlTokensLang("lookalikes_removed", lang).key, removed))
                if not cleaned.strip():
                    return Decision(Dropped(doc, EMPTY_AFTER_LOOKALIKES), tuple(stats))
                text, base_tokens = cleaned, self._count(cleaned, doc.script)
        u = self.draw(doc.id)
        tokens: list[str] = []
        metadata: dict[str, Any] = {}
        if any(u < getattr(cfg, a).fraction for a in self._attributes):
            stats.append((ControlTokensLang("selected", lang).key, 1))
        for attribute in self._attributes:
            if attribute == "toxicity" and u < cfg.toxicity.fraction:
                score = self._scorer.score(text, lang, doc.metadata)
                if score.value is None:
                    stats.append((ControlTokensUnscored(score.unscored, lang).key, 1))
                    continue
                stats.append((ControlTokensLang("scored", lang).key, 1))
                metadata["toxicity_score"] = score.value
                level = level_for(score.value, cfg.toxicity.levels)
                if level is None:
                    stats.append((ControlTokensLang("below_first_level", lang).key, 1))
                    continue
                metadata["toxicity_level"] = level
                stats.append((ControlTokensToxicity(level, lang).key, 1))
                tokens.append(cfg.toxicity.token.format(level=level))
            elif attribute == "lang" and u < cfg.lang.fraction:
                if cfg.lang.skip_undetermined and lang == UNDETERMINED:
                    continue
                stats.append((ControlTokensLang("lang", lang).key, 1))
                tokens.append(cfg.lang.token.format(lang=lang))
        if not tokens:
            if text == doc.text and not metadata:
                return Decision(doc, tuple(stats))
            return Decision(doc.with_(text=text, tokens=base_tokens).with_metadata(**metadata), tuple(stats))
        marker = "".join(tokens)
        new_text = marker + cfg.separator + text if cfg.placement == "prefix" else text + cfg.separator + marker
        if cfg.tokens_per_control_token is None:
            new_tokens = self._count(new_text, doc.script)
        else:
            new_tokens = base_tokens + len(tokens) * cfg.tokens_per_control_token
        stats.append((ControlTokensLang("marked", lang).key, 1))
        stats.append((ControlTokensLang("added_tokens", lang).key, new_tokens - doc.tokens))
        metadata["control_tokens"] = tokens
        return Decision(doc.with_(text=new_text, tokens=new_tokens).with_metadata(**metadata), tuple(stats))
