"""report.md and report.html: the report model (pipeline/report/model.py) rendered by the two
Jinja2 templates of pipeline/report/templates/ (shipped as package data)."""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2
from markupsafe import Markup, escape

from pipeline.report.model import fmt, report_sections

_INLINE = re.compile(r"`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)")


def md_cell(value: Any, style: str = "") -> str:
    """A Markdown table cell: formatted, '|' escaped, on one line; bold in the total row."""
    text = fmt(value).replace("|", "\\|").replace("\n", " ")
    return f"**{text}**" if style == "total" and text else text


def _inline_html(match: re.Match) -> str:
    if match.group(1) is not None:
        return f"<code>{match.group(1)}</code>"
    return f'<a href="{match.group(3)}">{match.group(2)}</a>'


def inline(text: str) -> Markup:
    """Escaped HTML text with the paragraphs' Markdown spans: `code` and [text](link)."""
    return Markup(_INLINE.sub(_inline_html, str(escape(text))))


@functools.lru_cache(maxsize=2)
def _environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("pipeline.report", "templates"), autoescape=html,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(fmt=fmt, md_cell=md_cell, inline=inline)
    return env


def _context(report: dict[str, Any]) -> dict[str, Any]:
    return {"report": report, "sections": report_sections(report),
            "title": f"Mixture report: {report['name']}",
            "versions": ", ".join(f"{k} {v}" for k, v in sorted(report.get("versions", {}).items()))}


def report_markdown(report: dict[str, Any]) -> str:
    text = _environment(False).get_template("report.md.j2").render(_context(report))
    text = re.sub(r"\n{3,}", "\n\n", text)  # one blank line between blocks, whatever the template's nesting
    return text.strip("\n") + "\n"


def report_html(report: dict[str, Any]) -> str:
    return _environment(True).get_template("report.html.j2").render(_context(report)).strip("\n") + "\n"
