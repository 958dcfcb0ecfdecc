"""The product's one language-code scheme, and the one function that produces it.

Every language code in the product — model labels, codes written by users in YAML,
gold labels in evaluation files, codes in bitext files — goes through
:func:`normalize_lang`, so ``cmn``, ``zho``, ``zh``, ``zh-Hans``, ``zh_CN`` and
``__label__cmn_Hani`` all become ``zh``.

The scheme: the shortest BCP-47 tag of the language (ISO 639-1 where it exists,
else ISO 639-3), with macrolanguage members folded into their macrolanguage the way
CLDR does it (``cmn``→``zh``, ``arb``→``ar``, ``pes``→``fa``, ``zsm``→``ms``) and
deprecated codes replaced (``iw``→``he``, ``tl``→``fil``), members that are the
macrolanguage under another name folded too (``nb``→``no``, ``zlm``→``ms``), plus a script subtag only
when the script is not the language's usual one (``sr-Latn``, ``zh-Hant``,
``hi-Latn``). Regions are dropped, but a region that implies an unusual script keeps
that script (``zh_TW``→``zh-Hant``). Variants and extensions are dropped.

The data come from ``langcodes`` + ``language_data`` (CLDR aliases and likely
subtags), not from a hand-written table.
"""

from __future__ import annotations

import functools

import langcodes

UNDETERMINED = "und"

# A script that stands for a family of scripts the language is usually written in:
# Han ("Hani") text is not "unusual" for Chinese (Hans) or Japanese (Jpan), nor is
# Hangul for Korean (Kore = Hangul + Han).
_COVERED_SCRIPTS = {
    "Hans": frozenset({"Hani"}),
    "Hant": frozenset({"Hani"}),
    "Jpan": frozenset({"Hani", "Hira", "Kana", "Hrkt"}),
    "Kore": frozenset({"Hang", "Hani"}),
}


class LanguageCodeError(ValueError):
    """A string that is not a usable language code."""


def _clean(code: str) -> str:
    """Strip fastText label prefixes and POSIX locale decorations; '_' becomes '-'."""
    code = code.strip()
    if code.startswith("__label__"):
        code = code[len("__label__"):]
    # POSIX locales: language[_territory][.codeset][@modifier]
    code = code.split(".", 1)[0].split("@", 1)[0]
    return code.replace("_", "-")


def _usual_script(language: str, territory: str | None = None) -> str | None:
    tag = f"{language}-{territory}" if territory else language
    try:
        return langcodes.Language.get(tag).maximize().script
    except (langcodes.tag_parser.LanguageTagError, ValueError):  # pragma: no cover - defensive
        return None


def script_is_usual(language: str, script: str, territory: str | None = None) -> bool:
    """True when ``script`` is how ``language`` (in ``territory``) is normally written."""
    usual = _usual_script(language, territory)
    if usual is None:
        return False
    return script == usual or script in _COVERED_SCRIPTS.get(usual, ())


@functools.lru_cache(maxsize=65536)
def normalize_lang(code: str) -> str:
    """The product's code for ``code`` (BCP-47, ISO 639-1/-3, POSIX locale or fastText label).

    Raises :class:`LanguageCodeError` for strings that are not valid language tags.
    Empty strings and ``und`` give ``und``.
    """
    if not isinstance(code, str):
        raise LanguageCodeError(f"language code must be a string, got {type(code).__name__}")
    cleaned = _clean(code)
    if not cleaned or cleaned.lower() == UNDETERMINED:
        return UNDETERMINED
    try:
        standard = langcodes.standardize_tag(cleaned, macro=True)
        parsed = langcodes.Language.get(standard)
    except (langcodes.tag_parser.LanguageTagError, ValueError) as exc:
        raise LanguageCodeError(f"'{code}' is not a language code ({exc})") from None
    language = parsed.language
    if not language or not parsed.is_valid():
        raise LanguageCodeError(f"'{code}' is not a known language code")
    if language == UNDETERMINED:
        return UNDETERMINED
    language = _macrolanguage_folds().get(language, language)
    script = parsed.script
    if script is None and parsed.territory:
        # a region can imply a script other than the language's usual one (zh-TW -> Hant)
        regional = _usual_script(language, parsed.territory)
        if regional and not script_is_usual(language, regional):
            script = regional
    if script and not script_is_usual(language, script):
        return f"{language}-{script}"
    return language


_MACRO_FOLDS: dict[str, str] | None = None


def _macrolanguage_folds() -> dict[str, str]:
    """Individual languages folded into their macrolanguage beyond CLDR's aliases.

    From the data that ship with ``language_data``: a language whose IANA registry
    entry names M as its ``Macrolanguage`` is folded into M when it *is* M under another
    name — CLDR's languageMatch puts it at distance <= 1 from M (``nb`` -> ``no``:
    lid.176 says ``no`` for Bokmål text) or the registry calls it "<M's name> (individual
    language)" (``zlm`` -> ``ms``). Distinct members (``nn``, ``yue``, ``min``) are left
    alone. Read once per process.
    """
    global _MACRO_FOLDS
    if _MACRO_FOLDS is None:
        import importlib.resources
        import re
        import xml.etree.ElementTree as ElementTree

        data = importlib.resources.files("language_data").joinpath("data")
        try:
            registry = data.joinpath("language-subtag-registry.txt").read_text(encoding="utf-8")
            matches = ElementTree.fromstring(data.joinpath("languageInfo.xml").read_bytes())
        except (OSError, ElementTree.ParseError):  # pragma: no cover - broken install
            registry, matches = "", None
        names: dict[str, str] = {}
        macro_of: dict[str, str] = {}
        for record in registry.split("\n%%\n"):
            fields: dict[str, str] = {}
            for line in record.splitlines():
                key, _, value = line.partition(": ")
                if key and value and key not in fields:
                    fields[key] = value
            if fields.get("Type") != "language" or "Subtag" not in fields:
                continue
            names[fields["Subtag"]] = re.sub(r" \(macrolanguage\)$", "", fields.get("Description", ""))
            if "Macrolanguage" in fields:
                macro_of[fields["Subtag"]] = fields["Macrolanguage"]
        close: set[tuple[str, str]] = set()
        if matches is not None:
            for match in matches.iter("languageMatch"):
                if match.get("distance") in ("0", "1"):
                    close.add((match.get("desired"), match.get("supported")))
        folds: dict[str, str] = {}
        for member, macro in macro_of.items():
            if (member, macro) in close or names.get(member) == f"{names.get(macro)} (individual language)":
                folds[member] = macro
        _MACRO_FOLDS = folds
    return _MACRO_FOLDS


def try_normalize_lang(code: str, default: str = UNDETERMINED) -> str:
    """:func:`normalize_lang`, or ``default`` for strings that are not language codes."""
    try:
        return normalize_lang(code)
    except LanguageCodeError:
        return default


_CLDR_SCRIPTS: dict[str, frozenset[str]] | None = None


def _cldr_language_scripts() -> dict[str, frozenset[str]]:
    """Language -> scripts it is written in (primary and secondary), from CLDR's languageData.

    Read once per process from the supplementalData.xml that ships with ``language_data``.
    """
    global _CLDR_SCRIPTS
    if _CLDR_SCRIPTS is None:
        import importlib.resources
        import xml.etree.ElementTree as ElementTree

        scripts: dict[str, set[str]] = {}
        try:
            data = importlib.resources.files("language_data").joinpath("data/supplementalData.xml").read_bytes()
            root = ElementTree.fromstring(data)
        except (OSError, ElementTree.ParseError, ModuleNotFoundError):  # pragma: no cover - broken install
            root = None
        if root is not None:
            for element in root.iter("language"):
                language = element.get("type")
                listed = element.get("scripts")
                if language and listed:
                    scripts.setdefault(language, set()).update(listed.split())
        _CLDR_SCRIPTS = {language: frozenset(codes) for language, codes in scripts.items()}
    return _CLDR_SCRIPTS


def known_scripts(language: str) -> frozenset[str]:
    """Scripts CLDR lists for ``language`` (``sr`` -> {Cyrl, Latn}); empty when it lists none."""
    return _cldr_language_scripts().get(language, frozenset())


def with_script(code: str, script: str) -> str:
    """``code`` with the text's ``script`` added when that script is unusual for the language.

    The subtag is added only when CLDR lists the script for the language, so a
    prediction that does not fit the text (``zh`` for kana text, ``ru`` for Latin
    text) keeps its bare code instead of becoming a tag nobody writes (``zh-Jpan``).
    ``with_script("sr", "Latn") == "sr-Latn"``, ``with_script("hi", "Latn") == "hi-Latn"``,
    ``with_script("zh", "Hani") == "zh"``; codes that already carry a script, ``und``,
    and the non-scripts ``Zyyy``/``Zinh``/``Zzzz``/"" are returned unchanged.
    """
    if not script or script in ("Zyyy", "Zinh", "Zzzz") or code == UNDETERMINED or "-" in code:
        return code
    return _with_script_cached(code, script)


@functools.lru_cache(maxsize=65536)
def _with_script_cached(code: str, script: str) -> str:
    if script_is_usual(code, script) or script not in known_scripts(code):
        return code
    return f"{code}-{script}"


def base_language(code: str) -> str:
    """The language part of a product code: ``sr-Latn`` -> ``sr``."""
    return code.split("-", 1)[0]


def lang_matches(code: str, wanted: str) -> bool:
    """True when ``code`` is ``wanted`` or, for a ``wanted`` without script, any script of it.

    Both arguments are product codes (already normalised).
    """
    if code == wanted:
        return True
    return "-" not in wanted and base_language(code) == wanted


@functools.lru_cache(maxsize=65536)
def interchangeable(a: str, b: str) -> bool:
    """True for equal codes or codes CLDR treats as the same language (tag distance <= 1).

    For evaluation only (``nb`` vs lid.176's ``no``); the product never merges codes this way.
    """
    if a == b:
        return True
    if UNDETERMINED in (a, b):
        return False
    try:
        return langcodes.tag_distance(a, b) <= 1 and langcodes.tag_distance(b, a) <= 1
    except Exception:  # a code langcodes cannot compare is simply not interchangeable
        return False


@functools.lru_cache(maxsize=4096)
def language_name(code: str) -> str:
    """English display name for the report: ``zh-Hant`` -> 'Chinese (Traditional)'."""
    if code == UNDETERMINED:
        return "Undetermined"
    try:
        return langcodes.Language.get(code).display_name("en")
    except Exception:  # display names are cosmetic: never fail a report over one
        return code


# --------------------------------------------------------------------------- codes for a text

# A script subtag is added only when less than this share of the text's content is in
# the language's usual script: the rest is then the language itself written in another
# script (romanised Hindi, Serbian Latin), not identifiers or names quoted in a page that
# is written in the usual script (a Chinese page naming commands in English).
MIN_USUAL_SHARE = 0.1


def usual_scripts(language: str) -> frozenset[str]:
    """Raw ISO 15924 scripts of ``language``'s usual writing (CLDR likely subtags).

    ``zh`` -> {Hani} (Hans), ``ja`` -> {Hani, Hira, Kana} (Jpan), ``sr`` -> {Cyrl},
    ``hi`` -> {Deva}; empty when CLDR does not know the language.
    """
    usual = _usual_script(base_language(language))
    if not usual:
        return frozenset()
    return frozenset({usual}) | _COVERED_SCRIPTS.get(usual, frozenset())


def written_in(language: str) -> frozenset[str]:
    """Every raw script CLDR lists for ``language`` (usual and secondary), families expanded.

    ``zh`` -> {Hani, Hans, Hant, Latn, Bopo, Phag}; ``ja`` -> {Jpan, Hani, Hira, Kana, Hrkt}.
    """
    base = base_language(language)
    scripts = set(usual_scripts(base))
    for script in known_scripts(base):
        scripts.add(script)
        scripts.update(_COVERED_SCRIPTS.get(script, ()))
    return frozenset(scripts)


def lang_for_text(code: str, profile, *, han_variants: bool = False) -> str:
    """The product code of a text the model labelled ``code``, given the text's ScriptProfile.

    A script subtag is added only when the text's own-language content is mostly in a
    script other than the language's usual one: less than :data:`MIN_USUAL_SHARE` of
    the content in the usual script, and the dominant script one CLDR lists for the
    language (``hi`` on romanised Hindi -> ``hi-Latn``, ``sr`` on Latin text ->
    ``sr-Latn``). A Chinese page naming commands in English stays ``zh``.
    ``han_variants``: Chinese whose Han characters are clearly Traditional is
    ``zh-Hant`` (Simplified and undecided stay ``zh``).
    """
    if code == UNDETERMINED or "-" in code or not profile.has_letters:
        return code
    usual = usual_scripts(code)
    if usual and profile.share(*usual) >= MIN_USUAL_SHARE:
        if han_variants and code == "zh" and profile.han_variant == "Hant":
            return "zh-Hant"
        return code
    return with_script(code, profile.dominant)


def script_consistent(code: str, profile) -> bool:
    """False when ``code``'s language is not written in the text's dominant non-Latin script.

    Checked only for texts whose dominant script is not Latin (a Latin page quoting a
    few words of another script says nothing). Per CLDR: Tai Tham text labelled ``ja``,
    Cherokee labelled ``es``, Yi labelled ``zh`` are inconsistent; Han text labelled
    ``zh``, ``yue``, ``gan`` or ``ja``, Tibetan labelled ``dz`` or ``bo``, are consistent.
    Languages CLDR lists no script for are given the benefit of the doubt.
    """
    if code == UNDETERMINED:
        return True
    dominant = profile.dominant
    if dominant in ("Latn", "Zyyy", "Zinh", "Zzzz"):
        return True
    scripts = written_in(code)
    if not scripts:
        return True
    return dominant in scripts
