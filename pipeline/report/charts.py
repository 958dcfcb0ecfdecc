"""Report charts as PNG bytes (matplotlib, Agg), reproducible byte for byte.

No pyplot: each chart draws on its own ``Figure`` with an Agg canvas, inside an
``rc_context`` that pins every style setting that could differ between machines'
matplotlibrc files; PNGs are saved with a fixed dpi and without the "Software"
metadata entry, so reruns give identical bytes.
"""

from __future__ import annotations

import base64
import io
from typing import Any, Sequence

DPI = 100
WIDTH = 9.0  # inches
COLORS = ("#3b6ea8", "#e08a2e", "#4c9a5b", "#b04a5a")

_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.labelsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "path.simplify": True,
    "svg.hashsalt": "mixture-report",
    "text.usetex": False,
    "axes.unicode_minus": False,
}


def _render(draw, height: float) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(WIDTH, height), dpi=DPI)
        FigureCanvasAgg(fig)
        draw(fig)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _plain_log_ticks(axis) -> None:
    """Log-scale ticks as plain numbers (0.1, 1, 10) instead of powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _size_bin(size: int) -> str:
    if size <= 4:
        return str(size)
    upper = 1 << (size - 1).bit_length()
    return f"{upper // 2 + 1}-{upper}"


def binned_histogram(histogram: Sequence[Sequence[int]]) -> list[tuple[str, int]]:
    """Cluster sizes grouped exactly up to 4, then in powers of two ('5-8', '9-16', ...)."""
    bins: dict[str, int] = {}
    order: dict[str, int] = {}
    for size, n in histogram:
        label = _size_bin(int(size))
        bins[label] = bins.get(label, 0) + int(n)
        order.setdefault(label, int(size))
    return [(label, bins[label]) for label in sorted(bins, key=lambda l: order[l])]


def language_shares_png(series: Sequence[tuple[str, list[dict[str, Any]]]], top: int = 50) -> bytes | None:
    """Grouped horizontal bars of language shares (%, log scale) for the top languages.

    ``series``: (label, rows) pairs, rows with ``lang``, ``name`` and ``share_pct``; the
    languages are those of the first series, in its order.
    """
    series = [(label, rows) for label, rows in series if rows]
    if not series:
        return None
    langs = [r["lang"] for r in series[0][1][:top] if r.get("lang")]
    names = {r["lang"]: r.get("name") or r["lang"] for _, rows in series for r in rows if r.get("lang")}
    if not langs:
        return None
    n = len(langs)
    k = len(series)

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        bar = 0.8 / k
        positive = []
        for j, (label, rows) in enumerate(series):
            share = {r["lang"]: r["share_pct"] for r in rows if r.get("lang")}
            values = [share.get(lang, 0.0) for lang in langs]
            positive += [v for v in values if v > 0]
            ys = [i + (j - (k - 1) / 2) * bar for i in range(n)]
            ax.barh(ys, [v if v > 0 else 0 for v in values], height=bar, color=COLORS[j % len(COLORS)],
                    label=label)
        ax.set_yticks(range(n))
        ax.set_yticklabels([f"{names.get(lang, lang)} ({lang})" for lang in langs])
        ax.invert_yaxis()
        ax.margins(y=0.01)
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
        if positive:
            ax.set_xlim(min(positive) / 2, 100 * 1.5)
        ax.set_xlabel("share (%), log scale")
        ax.set_title(f"Language shares, top {n}")
        if k > 1:
            ax.legend(loc="lower right")

    return _render(draw, height=max(2.5, 0.8 + 0.22 * n * max(1, k * 0.7)))


def funnel_png(steps: Sequence[dict[str, Any]]) -> bytes | None:
    """Documents remaining after each step (read, rejected, each stage, copies, written)."""
    if not steps:
        return None

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        labels = [s["step"] for s in steps]
        values = [s["remaining"] for s in steps]
        colors = [COLORS[0] if s["change"] <= 0 or s["step"] == "read" else COLORS[2] for s in steps]
        colors[-1] = COLORS[1]
        ax.barh(range(len(steps)), values, color=colors)
        ax.set_yticks(range(len(steps)))
        ax.set_yticklabels(labels)
        ax.invert_yaxis()
        ax.margins(y=0.01)
        top = max(values) if values and max(values) > 0 else 1
        ax.set_xlim(0, top * 1.25)
        for i, s in enumerate(steps):
            change = "" if s["step"] in ("read", "written") else f"  ({s['change']:+,})"
            ax.text(s["remaining"] + top * 0.01, i, f"{s['remaining']:,}{change}", va="center", fontsize=8)
        ax.set_xlabel("documents")
        ax.set_title("Filtering funnel")

    return _render(draw, height=max(2.2, 0.9 + 0.35 * len(steps)))


def cluster_histogram_png(histogram: Sequence[Sequence[int]]) -> bytes | None:
    """Number of duplicate clusters per cluster size (binned), log scale."""
    bins = binned_histogram(histogram)
    if not bins:
        return None

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        ax.bar(range(len(bins)), [n for _, n in bins], color=COLORS[0])
        ax.set_xticks(range(len(bins)))
        ax.set_xticklabels([label for label, _ in bins])
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
        ax.set_ylim(0.5, max(n for _, n in bins) * 2)
        for i, (_, n) in enumerate(bins):
            ax.text(i, n, f"{n:,}", ha="center", va="bottom", fontsize=8)
        ax.set_xlabel("cluster size (documents)")
        ax.set_ylabel("clusters (log scale)")
        ax.set_title("Duplicate cluster sizes")

    return _render(draw, height=3.2)


def mixture_png(buckets: Sequence[dict[str, Any]], planned: bool, top: int = 30) -> bytes | None:
    """Target vs achieved token share per (source, language) bucket, largest targets first."""
    rows = [b for b in buckets if b["target_tokens"] or b["achieved_tokens"]][:top]
    if not rows:
        return None
    target_label = "target" if planned else "available after filtering"

    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        n = len(rows)
        ax.barh([i - 0.2 for i in range(n)], [r["target_pct"] for r in rows], height=0.4, color=COLORS[0],
                label=target_label)
        ax.barh([i + 0.2 for i in range(n)], [r["achieved_pct"] for r in rows], height=0.4, color=COLORS[1],
                label="achieved (written by the sampler)")
        ax.set_yticks(range(n))
        ax.set_yticklabels([f"{r['source']}/{r['lang']}" for r in rows])
        ax.invert_yaxis()
        ax.margins(y=0.01)
        ax.set_xlabel("share of mixture tokens (%)")
        ax.set_title(f"Target vs achieved mixture, top {n} buckets")
        ax.legend(loc="lower right")

    return _render(draw, height=max(2.5, 0.9 + 0.32 * len(rows)))
