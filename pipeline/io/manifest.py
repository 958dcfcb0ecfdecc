"""manifest.json: what a run was made from and what it wrote, with checksums."""

from __future__ import annotations

import platform
from typing import Any

import apache_beam as beam
import pyarrow

from pipeline import __version__
from pipeline.config import Config


def versions() -> dict[str, str]:
    """The versions that made a run (manifest.json and report.json "versions")."""
    return {
        "mixture-pipeline": __version__,
        "apache-beam": beam.__version__,
        "pyarrow": pyarrow.__version__,
        "python": platform.python_version(),
    }


def build_manifest(config: Config, shard_entries: list[dict], accounting: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": config.name,
        "seed": config.seed,
        "config": config.model_dump(mode="json"),
        "config_sha256": config.sha256(),
        "versions": versions(),
        "shards": {
            "format": config.mixture.shards.format,
            "count": len(shard_entries),
            "documents": sum(e["documents"] for e in shard_entries),
            "tokens": sum(e["tokens"] for e in shard_entries),
            "files": shard_entries,
        },
        "accounting": {k: accounting[k] for k in ("read", "selected", "dropped", "rejected", "extra_copies", "canaries", "written")},
    }
