"""PII scrubbing settings (owned by the PII stage)."""

from __future__ import annotations

import inspect
import string
from functools import lru_cache
from typing import Literal

import regex
from pydantic import Field, field_validator, model_validator

from pipeline.config.base import StageConfig, StrictModel

DEFAULT_ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "IP_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "CRYPTO",
)

DEFAULT_VERSION_CONTEXT_WORDS = (
    "version", "versions", "ver", "v", "release", "build", "firmware", "rev", "revision",
    "python", "java", "node", "npm", "pip", "gcc", "kernel", "bump", "bumped", "bumps", "upgrade", "upgraded",
    "upgrades", "downgrade", "dependency", "dependencies", "changelog", "versión", "versione", "versão",
    "versie", "wersja", "verze", "версия", "версія", "バージョン", "版本", "버전",
)

DEFAULT_IP_CONTEXT_WORDS = (
    "ip", "ipv4", "ipv6", "address", "addr", "host", "hostname", "server", "resolver", "dns", "proxy",
    "gateway", "client", "adresse", "serveur", "dirección", "servidor", "indirizzo", "adres", "adresy",
    "serwer", "endereço", "адрес", "сервер", "サーバー", "サーバ", "アドレス", "服务器", "伺服器", "地址", "서버", "주소",
)

# Words that make a nearby number a phone number. A trailing '*' matches any continuation
# of the word (telef* = telefon, telefonu, telefone, ...); words of spaced scripts must
# start (and, without '*', end) at a token boundary; CJK words and symbols match anywhere.
DEFAULT_PHONE_CONTEXT_WORDS = (
    "tel", "tél", "tlf", "tfno", "phone*", "telephon*", "téléphon*", "telef*", "teléf*", "telf", "mobile*",
    "mobil*", "móvil", "handy", "cell", "cellphone", "cellular", "cellulare", "celular", "portable", "gsm",
    "fax", "whatsapp", "sms", "hotline", "call", "calling", "ring", "dial", "contact*", "kontakt*", "contatt*",
    "contat*", "contacto", "anruf*", "rufen", "appel", "appelez", "appeler", "appelle", "llame", "llámame",
    "llámenos", "llámanos", "llamar", "llamada", "chiama", "chiamami", "chiamaci", "chiamare", "chiamateci",
    "bel", "bellen", "zadzwo*", "dzwoń", "dzwonić", "ligue", "ligar", "ligação", "телеф*", "тел", "моб*",
    "факс", "звон*", "позвон*", "контакт*",
    "電話", "电话", "手机", "手機", "携帯", "ケータイ", "連絡", "联系", "聯繫", "聯絡", "致电", "전화", "연락", "휴대폰", "핸드폰",
    "☎", "☏", "✆", "📞", "📱",
)

_ENTITY_NAME = r"^[A-Z][A-Z0-9_]*$"


class CustomRecognizerConfig(StrictModel):
    """A user regex recognizer; its ``name`` is the entity type it reports."""

    name: str = Field(pattern=_ENTITY_NAME, description="Entity type reported (and used in the placeholder), e.g. EMPLOYEE_ID.")
    pattern: str = Field(min_length=1, description="Regular expression (Python `regex` syntax) matching the whole value.")
    score: float = Field(0.5, ge=0.0, le=1.0, description="Score of a match; used to resolve overlaps and against min_score.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled = regex.compile(value)
        except regex.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        if compiled.search("") is not None and compiled.fullmatch("") is not None:
            raise ValueError("the pattern matches the empty string")
        return value


class PiiLanguageOverride(StrictModel):
    """Settings for one document language; unset keys fall back to the section's values."""

    entities: list[str] | None = Field(None, description="Entity types scrubbed for this language.")
    min_score: float | None = Field(None, ge=0.0, le=1.0, description="min_score for this language.")
    max_spans: int | None = Field(None, ge=0, description="max_spans for this language.")
    phone_regions: list[str] | None = Field(None, description="Phone regions (ISO 3166 alpha-2) tried for this language.")


class PiiConfig(StageConfig):
    entities: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ENTITIES),
        description="Entity types to scrub: the defaults plus any pattern recognizer presidio ships "
        "(US_SSN, UK_NHS, ES_NIF, IT_FISCAL_CODE, PL_PESEL, IN_AADHAAR, MAC_ADDRESS, ...). "
        "Custom recognizers are always added.",
    )
    placeholder: str = Field("<{entity}>", description="Replacement template; '{entity}' is the entity type.")
    mode: Literal["placeholder", "fake", "drop_document"] = Field(
        "placeholder",
        description="placeholder: replace with the template; fake: replace with a consistent fake value "
        "derived from a keyed hash of (seed, entity, value); drop_document: drop every document with PII "
        "(reason pii:contains_pii).",
    )
    max_spans: int | None = Field(
        None, ge=0, description="Drop a document with more PII spans than this (reason pii:too_many); null = never."
    )
    min_score: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Spans scoring below this are left in the text (checksum-failed candidates score 0 and are never scrubbed).",
    )
    keep_private_ips: bool = Field(
        True, description="Leave private, loopback, link-local, reserved, documentation and other non-global IPs alone."
    )
    keep_version_like_ips: bool = Field(
        True,
        description="Leave dotted quads that look like version numbers alone: part of a longer dotted number; right "
        "after '@' / '==' / '>='; the first number after a version word on the same line (within 32 characters); with a "
        "version suffix (1.2.3.4-1, 2.20.1.155.g426c96fcdb) or inside a host name (4.3.2.1.in-addr.arpa); glued to a "
        "name by a hyphen (squid-3.2.0.19); a section "
        "number (after a section word, or heading a line: '5.10.2.1. Porter tools'; 'C11 7.21.6.2/10'); or, with no "
        "version or IP word before it, all four parts single digits (1.2.3.4). A value glued to a package name is that "
        "release everywhere in the document, except after an IP word.",
    )
    version_context_words: list[str] = Field(
        default_factory=lambda: list(DEFAULT_VERSION_CONTEXT_WORDS),
        description="Words that mark the next dotted quad on the same line (within 32 characters) as a version number "
        "(case-insensitive; whole tokens in spaced scripts, where '_' separates tokens so __version__ counts; "
        "anywhere in CJK).",
    )
    ip_context_words: list[str] = Field(
        default_factory=lambda: list(DEFAULT_IP_CONTEXT_WORDS),
        description="Words that mark the next dotted quad on the same line (within 32 characters) as an address, "
        "even when it looks like a version (server 8.8.4.4); same matching as version_context_words.",
    )
    phone_regions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Language -> phone regions (ISO 3166 alpha-2), merged over the built-in table (de: [DE, AT, CH], ja: [JP], ...).",
    )
    phone_default_regions: list[str] = Field(
        default_factory=lambda: ["US", "GB"],
        description="Regions for documents whose language has no entry in the table (und, unlisted languages).",
    )
    phone_fallback_regions: list[str] = Field(
        default_factory=list,
        description="Regions tried for every document in addition to its language's regions "
        "(each one is a further pass; international +CC numbers are found whatever the region).",
    )
    phone_shapes: list[str] = Field(
        default_factory=lambda: [
            r"(?<![\d(])\(\d{3}\)[ \u00A0]?\d{3}[-.\u00A0 ]\d{4}(?!\d)",
            r"(?<![\w.+\-/])[2-9]\d{2}(?P<sep>[-.])\d{3}(?P=sep)\d{4}(?![\-/.]\d|\d|[^\W\dx])",
            r"(?<![\w(])\(0\d{1,4}\)[ \u00A0\-]?\d{2,4}(?:[ \u00A0\-]?\d{2,4}){0,2}(?![\d\-])",
            r"(?<![\w+])8[ \u00A0]?\(\d{3,5}\)[ \u00A0]?\d{2,3}(?:-\d{2}-\d{2}|-\d{4})(?![\d\-])",
        ],
        description="Regexes of unmistakable phone layouts scrubbed even when python-phonenumbers finds the number "
        "invalid (the defaults catch US-style '(555) 201-4478' and '555-201-4478' / '555.201.4478', a trunk "
        "area code in parentheses '(0115) 496 0960', Russian '8 (495) 123-45-67'); a match must "
        "contain as many digits as the shortest number of the document's regions.",
    )
    phone_international_leniency: int = Field(
        0, ge=0, le=3,
        description="python-phonenumbers leniency for numbers written with '+' and a country code (+7 (794) 551-17-04): "
        "0 (default) accepts any number of a possible length for that country, valid or not; a value >= "
        "phone_leniency adds nothing.",
    )
    phone_context_words: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PHONE_CONTEXT_WORDS),
        description="Words that mark a nearby number as a phone number (tel, phone*, 電話, ...): within 40 characters "
        "before it or 16 after it, with no other digit in between; case-insensitive; a trailing '*' matches any "
        "continuation; whole tokens in spaced scripts, anywhere in CJK.",
    )
    phone_counts_need_context: bool = Field(
        True,
        description="Numbers written like a count — only digits, or digits grouped by thousands (394 027 865, "
        "963.142.378), or year/serial (1992/02646); not starting with 0 or '+', not alone in parentheses, not the whole "
        "value of a label ('Moje dane: 505 715 038.') when valid for the document's regions; at most "
        "phone_count_max_digits digits — are scrubbed as phone numbers only with a phone_context_words word nearby "
        "(kept: count_like).",
    )
    phone_count_max_digits: int = Field(
        10, ge=0, le=20,
        description="Longest count-like number (in digits) that needs a phone word; longer ones (11-digit mobiles "
        "such as 13812345678) are scrubbed without one.",
    )
    phone_leniency: int = Field(
        1, ge=0, le=3, description="python-phonenumbers leniency: 0 possible, 1 valid (default), 2 strict grouping, 3 exact grouping."
    )
    custom_recognizers: list[CustomRecognizerConfig] = Field(
        default_factory=list, description="Extra regex recognizers: [{name, pattern, score}]."
    )
    precheck: bool = Field(
        True, description="Run a cheap regex pre-check and skip recognizers that cannot match (never changes the output)."
    )
    per_language: dict[str, PiiLanguageOverride] = Field(
        default_factory=dict, description="Per-language overrides (entities, min_score, max_spans, phone_regions)."
    )

    @field_validator("entities")
    @classmethod
    def _entity_names(cls, value: list[str]) -> list[str]:
        return _entity_list(value)

    @field_validator("phone_fallback_regions", "phone_default_regions")
    @classmethod
    def _fallback_regions(cls, value: list[str]) -> list[str]:
        return _check_regions(value)

    @field_validator("phone_regions")
    @classmethod
    def _regions_table(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {lang: _check_regions(regions) for lang, regions in value.items()}

    @field_validator("phone_shapes")
    @classmethod
    def _shapes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                regex.compile(pattern)
            except regex.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return value

    @field_validator("placeholder")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
            value.format(entity="X")
        except (ValueError, IndexError, KeyError) as exc:
            raise ValueError(f"invalid placeholder template: {exc}") from None
        unknown = [name for name in fields if name != "entity"]
        if unknown:
            raise ValueError(f"the placeholder may only use {{entity}}, not {{{unknown[0]}}}")
        return value

    @model_validator(mode="after")
    def _overrides(self) -> "PiiConfig":
        names = [c.name for c in self.custom_recognizers]
        if len(set(names)) != len(names):
            raise ValueError("custom_recognizers: names must be unique")
        clashes = [name for name in names if name in DEFAULT_ENTITIES]
        if clashes:
            raise ValueError(
                f"custom_recognizers: {clashes[0]!r} is a built-in entity; give your recognizer its own name"
            )
        _check_available(self.entities, names)
        for lang, override in self.per_language.items():
            if override.entities is not None:
                override.entities = _entity_list(override.entities)
                _check_available(override.entities, names)
            if override.phone_regions is not None:
                override.phone_regions = _check_regions(override.phone_regions)
        return self


def _entity_list(value: list[str]) -> list[str]:
    """Checks the spelling of entity names and removes repeats (first one wins)."""
    seen: list[str] = []
    for name in value:
        if not regex.match(_ENTITY_NAME, name):
            raise ValueError(f"entity names are upper-case identifiers like EMAIL_ADDRESS (got {name!r})")
        if name not in seen:
            seen.append(name)
    return seen


def _check_available(names: list[str], custom: list[str]) -> None:
    unknown = [name for name in names if name not in DEFAULT_ENTITIES and name not in custom]
    if unknown:
        known = available_entities()
        bad = [name for name in unknown if name not in known]
        if bad:
            raise ValueError(
                f"unknown entity {bad[0]!r}; available: {', '.join(sorted(known))} (or add a custom_recognizers entry)"
            )


def _check_regions(value: list[str]) -> list[str]:
    import phonenumbers

    out = []
    for region in value:
        code = region.upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {region!r} (use ISO 3166 alpha-2 codes like DE, JP)")
        if code not in out:
            out.append(code)
    return out


PHONE_ENTITY = "PHONE_NUMBER"


@lru_cache(maxsize=1)
def presidio_pattern_recognizers() -> dict[str, type]:
    """Entity type -> presidio pattern-recognizer class, for every one presidio ships."""
    # lazy: presidio takes seconds to import and only non-default entities need the table
    import presidio_analyzer.predefined_recognizers as predefined
    from presidio_analyzer import PatternRecognizer

    table: dict[str, type] = {}
    for name in sorted(predefined.__all__):
        cls = getattr(predefined, name, None)
        if not (inspect.isclass(cls) and issubclass(cls, PatternRecognizer)):
            continue
        param = inspect.signature(cls.__init__).parameters.get("supported_entity")
        if param is None or not isinstance(param.default, str):
            continue
        table.setdefault(param.default, cls)
    return table


def available_entities() -> frozenset[str]:
    """Entity types that can be switched on in ``pii.entities``."""
    return frozenset(presidio_pattern_recognizers()) | {PHONE_ENTITY}
