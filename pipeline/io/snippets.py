"""Snippets of raw records written to rejected/ and dropped/: PII never leaks there."""

from __future__ import annotations


def scrub_snippet(text: str) -> str:
    """The snippet with default PII entities replaced by placeholders."""
    from pipeline.stages.pii import scrub_snippet as scrub

    return scrub(text)
