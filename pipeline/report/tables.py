"""The PaLM 2-style "top N languages" table and English language names (pure functions)."""

from __future__ import annotations

import functools
from typing import Any

from pipeline.report.figures import pct

TOP_LANGUAGES = 50


@functools.lru_cache(maxsize=4096)
def language_name(code: str) -> str:
    """English name of a normalised language code ('sr-Latn' -> 'Serbian (Latin)').

    Uses the product's own ``pipeline.text.langcodes.language_name`` when it exists,
    else langcodes' CLDR display names; a code it cannot name is shown as is.
    """
    try:
        from pipeline.text.langcodes import language_name as product_name
    except ImportError:
        product_name = None
    if product_name is not None:
        try:
            return product_name(code)
        except Exception:  # noqa: BLE001 - names are cosmetic: never fail a report over one
            return code
    if code == "und":
        return "Undetermined"
    try:
        import langcodes

        return langcodes.Language.get(code).display_name("en")
    except Exception:  # noqa: BLE001
        return code


def share_measure(rows: list[dict[str, Any]]) -> str:
    """Tokens when the run counted them, else documents."""
    return "tokens" if sum(r.get("tokens", 0) for r in rows) > 0 else "docs"


def top_languages(rows: list[dict[str, Any]], top: int = TOP_LANGUAGES, names: dict[str, str] | None = None
                  ) -> dict[str, Any]:
    """The PaLM 2 appendix table for ``rows`` (a language table of figures.py).

    Languages are ranked by their share of the measure (tokens, or documents when no
    tokens were counted); the first ``top`` are listed and the rest are summed into an
    "others" row, so the percentages of the listed rows plus "others" add up to 100.
    """
    measure = share_measure(rows)
    ranked = sorted(rows, key=lambda r: (-r.get(measure, 0), -r.get("docs", 0), r["lang"]))
    total = {m: sum(r.get(m, 0) for r in ranked) for m in ("docs", "tokens", "bytes")}

    def entry(label_lang: str | None, name: str, group: list[dict[str, Any]], rank: int | None) -> dict[str, Any]:
        docs = sum(r.get("docs", 0) for r in group)
        tokens = sum(r.get("tokens", 0) for r in group)
        nbytes = sum(r.get("bytes", 0) for r in group)
        return {"rank": rank, "lang": label_lang, "name": name, "docs": docs, "tokens": tokens, "bytes": nbytes,
                "share_pct": pct(docs if measure == "docs" else tokens, total[measure]),
                "docs_pct": pct(docs, total["docs"]), "tokens_pct": pct(tokens, total["tokens"]),
                "bytes_pct": pct(nbytes, total["bytes"])}

    listed = []
    for i, r in enumerate(ranked[:top], 1):
        name = (names or {}).get(r["lang"]) or language_name(r["lang"])
        listed.append(entry(r["lang"], name, [r], i))
    rest = ranked[top:]
    others = entry(None, f"others ({len(rest)} languages)", rest, None) if rest else None
    return {"measure": measure, "top": top, "languages": len(ranked), "rows": listed, "others": others,
            "total": {"docs": total["docs"], "tokens": total["tokens"], "bytes": total["bytes"]}}


def table_rows_with_others(table: dict[str, Any]) -> list[dict[str, Any]]:
    return table["rows"] + ([table["others"]] if table.get("others") else [])
