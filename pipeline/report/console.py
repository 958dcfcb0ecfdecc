"""Console output of a run: the live progress line and the final summary."""

from __future__ import annotations

import time
from typing import Any, Callable

from pipeline.report.figures import accounting_line, stage_rank

NAMESPACE = "mixture"  # pipeline.stages.base.count() puts every counter here, named "stage/what"


def summary_lines(report: dict[str, Any], top: int = 5) -> list[str]:
    """The final summary: the ``top`` largest languages of the final mixture and the accounting line."""
    table = report.get("top_languages", {}).get("final") or {}
    rows = table.get("rows", [])[:top]
    measure = table.get("measure", "tokens")
    lines = []
    if rows:
        lines.append(f"largest languages of the mixture (share of {measure}):")
        width = max(len(f"{r['name']} ({r['lang']})") for r in rows)
        for r in rows:
            label = f"{r['name']} ({r['lang']})"
            lines.append(f"  {r['rank']}. {label:<{width}}  {r['share_pct']:6.2f}%  "
                         f"{_plural(r['docs'], 'document')}, {_plural(r['tokens'], 'token')}")
        if table.get("languages", 0) > len(rows):
            lines.append(f"  … {table['languages'] - len(rows)} more languages")
    else:
        lines.append("the mixture is empty: no documents were written")
    acct = report.get("accounting")
    if acct:
        lines.append(accounting_line(acct))
    return lines


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def progress_line(counters: dict[str, int]) -> str:
    """One line of documents read / kept / dropped per stage from ``stage/what`` counters."""
    stages: dict[str, dict[str, int]] = {}
    for name, value in counters.items():
        stage, _, what = name.partition("/")
        stages.setdefault(stage, {})[what or stage] = int(value or 0)
    parts = []
    read = stages.pop("read", {})
    if read:
        text = f"read {read.get('records', 0):,}"
        if read.get("rejected"):
            text += f" (rejected {read['rejected']:,})"
        parts.append(text)
    write = stages.pop("write", {})
    for stage in sorted(stages, key=stage_rank):
        figures = stages[stage]
        # stages with several steps name their counters "<step>_dropped" (dedup: exact_dropped, near_dropped)
        dropped = sum(v for what, v in figures.items() if what == "dropped" or what.endswith("_dropped"))
        has_dropped = any(what == "dropped" or what.endswith("_dropped") for what in figures)
        if "kept" in figures:
            parts.append(f"{stage} kept {figures['kept']:,}" + (f" dropped {dropped:,}" if dropped else ""))
        elif has_dropped:
            parts.append(f"{stage} dropped {dropped:,}")
    if write:
        parts.append(f"written {write.get('documents', 0):,}")
    return " | ".join(parts) if parts else "starting…"


def counters_of(result: Any) -> dict[str, int]:
    """The pipeline's counters (namespace 'mixture') summed over steps; {} if the runner has none."""
    try:
        from apache_beam.metrics.metric import MetricsFilter

        query = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))
    except Exception:  # noqa: BLE001 - not every runner reports metrics (or reports them yet)
        return {}
    out: dict[str, int] = {}
    for counter in query.get("counters", []):
        value = counter.committed if counter.committed is not None else counter.attempted
        name = counter.key.metric.name
        out[name] = out.get(name, 0) + int(value or 0)
    return dict(sorted(out.items()))


def watch_progress(result: Any, log: Callable[[str], None], interval: float = 10.0,
                   sleep: Callable[[float], None] = time.sleep) -> dict[str, int]:
    """Logs a progress line every ``interval`` seconds until the pipeline ends; returns the last counters.

    Runners that block in ``run()`` (the local FnApiRunner) are finished when this is
    called: only the final line is logged. Remote runners (Dataflow, Flink) report
    counters while they run.
    """
    from apache_beam.runners.runner import PipelineState

    last = ""
    while True:
        state = getattr(result, "state", PipelineState.DONE)
        counters = counters_of(result)
        line = progress_line(counters) if counters else ""
        if line and line != last:
            log(f"progress: {line}")
            last = line
        if state is None or PipelineState.is_terminal(state):
            break
        sleep(interval)
    result.wait_until_finish()
    final = counters_of(result)
    line = progress_line(final) if final else ""
    if line and line != last:
        log(f"progress: {line}")
    return final
