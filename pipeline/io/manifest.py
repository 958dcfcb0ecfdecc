"""manifest.json: what a run was made from and what it wrote, with checksums."""

from __future__ import annotations

from typing import Any

from pipeline.config import Config


def build_manifest(config: Config, shard_entries: list[dict], accounting: dict[str, Any]) -> dict[str, Any]:
    from pipeline.run import versions

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
