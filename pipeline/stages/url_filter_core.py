"""URL filtering: a domain / substring blocklist and exact URL dedup (core, no Beam).

* :func:`url_key` normalises a URL for comparison: scheme and host lower-cased, default
  port, fragment and a trailing dot of the host removed, an empty path made ``/``; the
  path and query are kept as they are (they are case-sensitive).
* :class:`Blocklist` matches a host against blocked domains (the domain itself and its
  subdomains) and a URL against blocked substrings (case-insensitive).
* :func:`choose_kept` picks, among the documents sharing a URL key, the one with the
  latest (or earliest) crawl date; ties and documents without a parsable date are
  decided by the smallest document id, so the choice does not depend on input order.
"""

from __future__ import annotations

import datetime
from typing import Iterable
from urllib.parse import urlsplit, urlunsplit

from pipeline.records import Doc, Dropped
from pipeline.stats import UrlBlocked

STAGE = "url"
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_NO_DATE = ""  # sorts before every ISO timestamp


def parse_list(text: str) -> list[str]:
    """Entries of a blocklist file: one per line, lower-cased; blank lines and # comments skipped."""
    entries = []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip().lower()
        if entry:
            entries.append(entry)
    return entries


def url_key(url: str) -> str | None:
    """The normalised URL used for blocklist and dedup, or None when it is not an absolute URL."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.rstrip(".")
    netloc = host if port is None or str(port) == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}{':' + parts.password if parts.password else ''}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def host_of(key: str) -> str:
    return (urlsplit(key).hostname or "").rstrip(".")


class Blocklist:
    def __init__(self, domains: Iterable[str], substrings: Iterable[str]):
        self.domains = frozenset(d.strip().lower().lstrip(".").rstrip(".") for d in domains if d.strip())
        self.substrings = tuple(sorted({s.strip().lower() for s in substrings if s.strip()}))

    def __bool__(self) -> bool:
        return bool(self.domains or self.substrings)

    def match(self, key: str) -> str | None:
        """"domain" or "substring" when the URL (a url_key) is blocked, else None."""
        host = host_of(key)
        labels = host.split(".")
        if any(".".join(labels[i:]) in self.domains for i in range(len(labels))):
            return "domain"
        lowered = key.lower()
        if any(s in lowered for s in self.substrings):
            return "substring"
        return None


def date_key(value) -> str:
    """A crawl date as a sortable UTC string ('' when missing or unparsable)."""
    if not isinstance(value, str) or not value.strip():
        return _NO_DATE
    try:
        parsed = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return _NO_DATE
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def choose_kept(candidates: Iterable[tuple[str, str]], keep: str = "latest") -> str:
    """The document id kept among (date_key, doc_id) pairs sharing one URL."""
    items = list(candidates)
    if keep == "latest":
        best_date = max(d for d, _ in items)
    else:
        dated = [d for d, _ in items if d != _NO_DATE]
        best_date = min(dated) if dated else _NO_DATE
    return min(i for d, i in items if d == best_date)


class UrlDecider:
    """The per-document part: blocklist check; the URL key goes to metadata for dedup."""

    def __init__(self, blocklist: Blocklist, url_field: str):
        self.blocklist = blocklist
        self.url_field = url_field

    def __call__(self, doc: Doc):
        key = url_key(doc.metadata.get(self.url_field) or "")
        if key is None:
            return doc
        matched = self.blocklist.match(key) if self.blocklist else None
        if matched:
            return Dropped(doc, f"{STAGE}:blocklist"), [(UrlBlocked(matched, doc.source).key, 1)]
        return doc


def dedup_decisions(key: str, members: Iterable[tuple[str, str]], keep: str) -> list[tuple[str, str]]:
    """(doc_id, kept_id) for every document of one URL key that is not kept."""
    items = list(members)
    if len(items) < 2:
        return []
    kept = choose_kept(items, keep)
    return [(doc_id, kept) for _, doc_id in items if doc_id != kept]
