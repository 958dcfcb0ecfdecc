"""Stop-word lists from spaCy's bundled language data, offline, cached per language.

The lists are the ``STOP_WORDS`` sets of ``spacy/lang/<code>/stop_words.py``. They are
read straight from the installed spaCy package (the file is executed on its own, so
the rest of spaCy — models, thinc — is never imported and nothing is downloaded).

spaCy 3.x ships stop words for 76 language codes: af am ar az bg bn bo ca cs da de dsb
el en es et eu fa fi fr ga gd grc gu he hi hr hsb ht hu hy id is it ja kmr kn ko ky la lb
lg lij lt lv mk ml mr ms nb ne nl pl pt ro ru sa si sk sl sq sr sv ta te th ti tl tn tr
tt uk ur vi yo zh. **No list** for fo, nn and xx, nor for any language spaCy does not
cover (e.g. sw, jv, km, lo, my, ps, ha, zu): :func:`stop_words` returns ``None`` for
them and the quality stage skips its stop-word rule (and counts the skip).

Matching (:class:`StopWordMatcher`) depends on how the language writes words:

* whole words, case-folded, for spaced scripts (en "the", ru "и", ar "في", hi "के");
* **substring** occurrences for entries written in a spaceless script (zh "的",
  ja "から", th "และ"): counted left to right, longest entry first, without overlaps;
* **prefix** for Korean, whose stop words are stems ("있", "하", "것") written with
  particles and endings attached ("있다", "하는", "것이"): a word counts when it
  starts with an entry.

Serbian lists are Cyrillic; for ``sr-Latn`` (or a Latin-script Serbian document) the
list is transliterated to Gaj's Latin alphabet.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from functools import lru_cache

import regex

from pipeline.text.script import dominant_script
from pipeline.text.segment import has_spaceless, words

# Codes that name the same list under another code.
_ALIASES = {"no": "nb", "fil": "tl", "iw": "he", "in": "id", "ku": "kmr", "tgl": "tl"}
_PREFIX_MATCH = frozenset({"ko"})
_HAS_LETTER = regex.compile(r"\p{L}")

_SERBIAN_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z",
    "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "č", "џ": "dž", "ш": "š",
}
_SR_TABLE = str.maketrans(_SERBIAN_LATIN)

_lock = threading.Lock()


def base_language(lang: str) -> str:
    """'sr-Latn' -> 'sr', 'zh_Hant' -> 'zh', 'NO' -> 'nb' (the code spaCy files a list under)."""
    code = (lang or "").replace("_", "-").split("-", 1)[0].lower()
    return _ALIASES.get(code, code)


def _spacy_lang_dir() -> str | None:
    try:
        spec = importlib.util.find_spec("spacy")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], "lang")


@lru_cache(maxsize=None)
def _raw_list(code: str) -> frozenset[str] | None:
    if not code or not code.isalpha() or not code.isascii():
        return None
    lang_dir = _spacy_lang_dir()
    if lang_dir is None:
        return None
    path = os.path.join(lang_dir, code, "stop_words.py")
    if not os.path.isfile(path):
        return None
    namespace: dict = {"__name__": f"spacy.lang.{code}.stop_words"}
    try:
        with open(path, encoding="utf-8") as handle:
            exec(compile(handle.read(), path, "exec"), namespace)  # noqa: S102 - trusted installed package data
        found = namespace.get("STOP_WORDS")
    except Exception:
        found = None
    if found is None:  # a list defined through imports: fall back to the regular import
        try:
            found = importlib.import_module(f"spacy.lang.{code}.stop_words").STOP_WORDS
        except Exception:
            return None
    return frozenset(w for w in found if isinstance(w, str) and _HAS_LETTER.search(w))


def stop_words(lang: str, script: str | None = None) -> frozenset[str] | None:
    """The stop words of ``lang`` (case-folded), or None when spaCy has no list for it."""
    code = base_language(lang)
    raw = _raw_list(code)
    if raw is None or not raw:
        return None
    latin = script == "Latn" or "-latn" in (lang or "").lower().replace("_", "-")
    if code == "sr" and latin:
        return frozenset(w.lower().translate(_SR_TABLE) for w in raw)
    return frozenset(w.casefold() for w in raw)


def has_stop_words(lang: str) -> bool:
    """True when a stop-word list exists for ``lang``."""
    return stop_words(lang) is not None


_SCRIPT_FAMILY = {"Hira": "Jpan", "Kana": "Jpan", "Hrkt": "Jpan", "Hang": "Kore", "Hans": "Hani", "Hant": "Hani"}


def scripts_compatible(list_script: str, doc_script: str | None) -> bool:
    """Can a list written in ``list_script`` match a text in ``doc_script``? (unknown: yes)"""
    if not doc_script or doc_script == "Zyyy" or not list_script or list_script == "Zyyy":
        return True
    a = _SCRIPT_FAMILY.get(list_script, list_script)
    b = _SCRIPT_FAMILY.get(doc_script, doc_script)
    return a == b or {a, b} in ({"Hani", "Jpan"}, {"Hani", "Kore"})


class StopWordMatcher:
    """Counts the stop words of one language in a text (see the module doc for the modes).

    A list in another script than the document's (Hindi written in Latin letters,
    ``hi-Latn``) cannot match: the matcher is then ``available = False``, like a
    language without a list, and the stop-word rule is skipped.
    """

    def __init__(self, lang: str, script: str | None = None):
        listed = stop_words(lang, script) or frozenset()
        self.lang = lang
        self.list_script = dominant_script(" ".join(sorted(listed))) if listed else ""
        if listed and not scripts_compatible(self.list_script, script):
            listed = frozenset()
        self.available = bool(listed)
        self.prefix = base_language(lang) in _PREFIX_MATCH
        self._whole = frozenset(w for w in listed if not has_spaceless(w))
        spaceless = sorted((w for w in listed if has_spaceless(w)), key=lambda w: (-len(w), w))
        self._substring = (
            regex.compile("|".join(regex.escape(w) for w in spaceless)) if spaceless else None
        )
        self._prefix_lengths = sorted({len(w) for w in self._whole}) if self.prefix else []

    def count(self, text: str, word_list: list[str] | None = None, limit: int | None = None) -> int:
        """Stop-word occurrences in ``text`` (``word_list``: its :func:`words`, if already known).

        Counting stops early once ``limit`` is reached.
        """
        if not self.available:
            return 0
        found = 0
        if self._whole:
            for word in word_list if word_list is not None else words(text):
                w = word.casefold()
                if w in self._whole or (
                    self.prefix and any(w[:n] in self._whole for n in self._prefix_lengths if n < len(w))
                ):
                    found += 1
                    if limit is not None and found >= limit:
                        return found
        if self._substring is not None:
            for _ in self._substring.finditer(text):
                found += 1
                if limit is not None and found >= limit:
                    return found
        return found


_matchers: dict[tuple[str, str | None], StopWordMatcher] = {}


def matcher(lang: str, script: str | None = None) -> StopWordMatcher:
    """A cached :class:`StopWordMatcher` per (language, script)."""
    key = (lang, script)
    found = _matchers.get(key)
    if found is None:
        with _lock:
            found = _matchers.get(key)
            if found is None:
                found = StopWordMatcher(lang, script)
                _matchers[key] = found
    return found
