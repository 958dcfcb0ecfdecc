"""PII scrubbing settings (owned by the PII stage)."""

from __future__ import annotations

from pipeline.config.base import StageConfig


class PiiConfig(StageConfig):
    pass
