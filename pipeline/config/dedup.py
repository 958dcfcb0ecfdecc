"""Deduplication settings (owned by the dedup stage)."""

from __future__ import annotations

from pipeline.config.base import StageConfig


class DedupConfig(StageConfig):
    pass
