"""Snippets of raw records written to rejected/ and dropped/: PII never leaks there."""

from __future__ import annotations


SNIPPET_CHARS = 200


def scrub_snippet(text: str, max_chars: int | None = SNIPPET_CHARS) -> str:
    """The first ``max_chars`` characters with default PII entities replaced by placeholders.

    Scrubbing happens before the cut, so a value that straddles the limit is seen whole.
    """
    from pipeline.stages.pii import scrub_snippet as scrub

    return scrub(text, max_chars=max_chars)
