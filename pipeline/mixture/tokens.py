"""Token counting: the unit of every budget, share and epoch in the mixture.

The default counter needs no model. It splits text into three kinds of units and
weighs each by a ratio calibrated to approximate subword-tokenizer counts:

* a **word** — a run of letters, marks and digits of a script that separates words
  with spaces (Latin, Cyrillic, Arabic, Devanagari, Hangul, ...): ``tokens_per_word``
  (default 1.3, the usual English BPE ratio of ~0.75 words per token);
* a **character** of a script written without spaces (Han, kana, Thai, Lao, Khmer,
  Myanmar, Tibetan, Yi; combining marks belong to their base letter):
  ``tokens_per_char`` (default 1.0), or a ``per_script`` ratio;
* a **symbol run** — punctuation, symbols, emoji: ``tokens_per_symbol`` (default 1.0).

Units are classified character by character, so mixed-script text ("iPhone 15の価格")
is counted correctly whatever the dominant script. The count is
``round(Σ units × ratio)``, and at least 1 for any text that is not blank.

Exact counters load a Hugging Face ``tokenizers`` ``tokenizer.json`` or a SentencePiece
model; both packages are optional and imported only when asked for.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Protocol

import regex

from pipeline.text.script import SPACELESS_SCRIPTS

# Letters of the scripts written without spaces, as the ``regex`` module names them.
_SPACELESS_PROPS = ("Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan", "Bopomofo", "Yi")
_SPACELESS_ISO = {
    "Han": "Hani", "Hiragana": "Hira", "Katakana": "Kana", "Thai": "Thai", "Lao": "Laoo",
    "Khmer": "Khmr", "Myanmar": "Mymr", "Tibetan": "Tibt", "Bopomofo": "Bopo", "Yi": "Yiii",
}
if set(_SPACELESS_ISO.values()) != SPACELESS_SCRIPTS - {"Jpan"}:  # keep in step with text.script
    raise ImportError("pipeline.mixture.tokens: spaceless scripts differ from pipeline.text.script")
_SPACELESS_CLASS = "".join(rf"\p{{Script={name}}}" for name in _SPACELESS_PROPS)
# One letter of a spaceless script with its combining marks; a word of other letters,
# digits and marks; a run of anything else that is not white space.
_SPACELESS_UNIT = regex.compile(rf"[{_SPACELESS_CLASS}&&[\p{{L}}\p{{N}}]]\p{{M}}*", regex.V1)
_WORD = regex.compile(rf"[[\p{{L}}\p{{N}}\p{{M}}_]--[{_SPACELESS_CLASS}]]+", regex.V1)
_SYMBOL = regex.compile(r"[^\s\p{L}\p{N}\p{M}_]+")
_PER_SCRIPT_CHAR = {
    name: regex.compile(rf"[\p{{Script={name}}}&&[\p{{L}}\p{{N}}]]", regex.V1) for name in _SPACELESS_PROPS
}


class UnitCounts(tuple):
    """(words, spaceless characters, symbol runs) of a text."""

    __slots__ = ()

    def __new__(cls, words: int, chars: int, symbols: int):
        return super().__new__(cls, (words, chars, symbols))

    @property
    def words(self) -> int:
        return self[0]

    @property
    def chars(self) -> int:
        return self[1]

    @property
    def symbols(self) -> int:
        return self[2]


# ASCII text (most English and code) takes a faster path with the same result.
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]+")
_ASCII_SYMBOL = re.compile(r"[^ \t\n\r\x0b\x0cA-Za-z0-9_]+")  # ASCII whitespace as the regex module's \s sees it


def count_units(text: str) -> UnitCounts:
    """Words, spaceless-script characters and symbol runs in ``text``."""
    if text.isascii():
        return UnitCounts(len(_ASCII_WORD.findall(text)), 0, len(_ASCII_SYMBOL.findall(text)))
    return _count_units_general(text)


def _count_units_general(text: str) -> UnitCounts:
    # spaceless units first (they take their marks with them), then words and symbols
    # in what is left; three C-level scans are faster than one Python loop over matches
    rest, chars = _SPACELESS_UNIT.subn(" ", text)
    return UnitCounts(len(_WORD.findall(rest)), chars, len(_SYMBOL.findall(rest)))


def _round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


class TokenCounter(Protocol):
    """Anything that counts tokens of one text; ``script`` is a hint (ISO 15924) it may use."""

    name: str

    def count(self, text: str, script: str | None = None) -> int: ...


class DefaultTokenCounter:
    """Calibrated word / character / symbol units; no model, no download."""

    name = "default"

    def __init__(self, tokens_per_word: float = 1.3, tokens_per_char: float = 1.0,
                 tokens_per_symbol: float = 1.0, per_script: dict[str, float] | None = None):
        for label, value in (("tokens_per_word", tokens_per_word), ("tokens_per_char", tokens_per_char),
                             ("tokens_per_symbol", tokens_per_symbol)):
            if not value > 0:
                raise ValueError(f"{label} must be > 0 (got {value})")
        self.tokens_per_word = tokens_per_word
        self.tokens_per_char = tokens_per_char
        self.tokens_per_symbol = tokens_per_symbol
        # ISO code -> ratio, only for spaceless scripts with a ratio of their own
        self.per_script = {code: float(r) for code, r in sorted((per_script or {}).items())}
        self._special = [(prop, self.per_script[iso]) for prop, iso in _SPACELESS_ISO.items()
                         if iso in self.per_script and self.per_script[iso] != tokens_per_char]
        if "Jpan" in self.per_script:  # "Jpan" (Han + kana) is a valid ISO code for Japanese text
            self._special += [(p, self.per_script["Jpan"]) for p in ("Han", "Hiragana", "Katakana")
                              if p not in {q for q, _ in self._special}]

    def count(self, text: str, script: str | None = None) -> int:
        """Tokens of ``text``; ``script`` is not needed (units are classified per character)."""
        if not text:
            return 0
        units = count_units(text)
        char_tokens = units.chars * self.tokens_per_char
        for prop, ratio in self._special:
            n = len(_PER_SCRIPT_CHAR[prop].findall(text))
            char_tokens += n * (ratio - self.tokens_per_char)
        total = (units.words * self.tokens_per_word + char_tokens + units.symbols * self.tokens_per_symbol)
        if units == (0, 0, 0):
            return 0
        return max(1, _round_half_up(total))


class MissingTokenizerPackage(RuntimeError):
    """An exact tokenizer was configured but its optional package is not installed."""


def _read_model_bytes(path: str) -> bytes:
    if "://" in path:
        from pipeline.files import read_bytes  # Beam FileSystems, only for remote paths

        return read_bytes(path)
    with open(path, "rb") as handle:
        return handle.read()


class HFTokenCounter:
    """Exact counts from a Hugging Face ``tokenizers`` tokenizer.json (no special tokens)."""

    name = "hf"

    def __init__(self, path: str):
        try:
            from tokenizers import Tokenizer
        except ImportError:
            raise MissingTokenizerPackage(
                "mixture.tokenizer.kind 'hf' needs the 'tokenizers' package: pip install tokenizers"
            ) from None
        try:
            data = _read_model_bytes(path)
        except OSError as exc:
            raise FileNotFoundError(f"cannot read tokenizer '{path}': {exc}") from None
        try:
            self._tokenizer = Tokenizer.from_str(data.decode("utf-8"))
        except Exception as exc:
            raise ValueError(f"'{path}' is not a tokenizer.json: {exc}") from None
        self.path = path

    def count(self, text: str, script: str | None = None) -> int:
        if not text:
            return 0
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def count_batch(self, texts: list[str]) -> list[int]:
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) if t else 0 for e, t in zip(encodings, texts)]


class SentencePieceTokenCounter:
    """Exact counts from a SentencePiece ``.model`` file (no BOS/EOS)."""

    name = "sentencepiece"

    def __init__(self, path: str):
        try:
            import sentencepiece
        except ImportError:
            raise MissingTokenizerPackage(
                "mixture.tokenizer.kind 'sentencepiece' needs the 'sentencepiece' package: "
                "pip install sentencepiece"
            ) from None
        try:
            data = _read_model_bytes(path)
        except OSError as exc:
            raise FileNotFoundError(f"cannot read SentencePiece model '{path}': {exc}") from None
        try:
            self._processor = sentencepiece.SentencePieceProcessor(model_proto=data)
        except Exception as exc:
            raise ValueError(f"'{path}' is not a SentencePiece model: {exc}") from None
        self.path = path

    def count(self, text: str, script: str | None = None) -> int:
        if not text:
            return 0
        return len(self._processor.encode(text))


def make_counter(tokenizer_config=None) -> TokenCounter:
    """A counter from a ``TokenizerConfig`` (None: the default counter with default ratios)."""
    if tokenizer_config is None:
        return DefaultTokenCounter()
    kind = tokenizer_config.kind
    if kind == "default":
        return DefaultTokenCounter(
            tokenizer_config.tokens_per_word,
            tokenizer_config.tokens_per_char,
            tokenizer_config.tokens_per_symbol,
            tokenizer_config.per_script,
        )
    if kind == "hf":
        return HFTokenCounter(tokenizer_config.path)
    if kind == "sentencepiece":
        return SentencePieceTokenCounter(tokenizer_config.path)
    raise ValueError(f"unknown tokenizer kind '{kind}'")


def check_tokenizer(tokenizer_config) -> None:
    """Fail early (when the graph is built, not on a worker) if an exact tokenizer cannot
    be loaded: its package is missing or its local file does not exist."""
    import importlib.util

    if tokenizer_config is None or tokenizer_config.kind == "default":
        return
    package = "tokenizers" if tokenizer_config.kind == "hf" else "sentencepiece"
    if importlib.util.find_spec(package) is None:
        raise MissingTokenizerPackage(
            f"mixture.tokenizer.kind '{tokenizer_config.kind}' needs the '{package}' package: pip install {package}"
        )
    path = tokenizer_config.path
    if "://" not in path:
        import os

        if not os.path.isfile(path):
            raise FileNotFoundError(f"mixture.tokenizer.path: no such file '{path}'")


_DEFAULT = DefaultTokenCounter()


def count_tokens(text: str, script: str | None = None, counter: TokenCounter | None = None) -> int:
    """Tokens of ``text`` with ``counter`` (default: the model-free default counter).

    ``script`` is the document's dominant script when known (``Doc.script``). The default
    counter does not need it: it classifies every character by its own script, so that
    mixed-script text is counted right; it is passed on for counters that use it.
    """
    counter = counter or _DEFAULT
    return counter.count(text, script or None)


def calibrate_ratio(texts: list[str], exact: Callable[[str], int], units: Callable[[str], float]) -> float:
    """tokens-per-unit that makes ``units`` match ``exact`` on ``texts`` (Σ exact / Σ units).

    Use it to set ``tokens_per_word`` / ``tokens_per_char`` from a sample of your data
    and the tokenizer you will train with.
    """
    total_exact = sum(exact(t) for t in texts)
    total_units = sum(units(t) for t in texts)
    if total_units <= 0:
        raise ValueError("the sample has no countable units")
    return total_exact / total_units


__all__ = [
    "DefaultTokenCounter",
    "HFTokenCounter",
    "MissingTokenizerPackage",
    "SentencePieceTokenCounter",
    "TokenCounter",
    "UnitCounts",
    "calibrate_ratio",
    "check_tokenizer",
    "count_tokens",
    "count_units",
    "make_counter",
]
