"""Quality filtering settings (owned by the quality stage)."""

from __future__ import annotations

from pipeline.config.base import StageConfig


class QualityConfig(StageConfig):
    pass
