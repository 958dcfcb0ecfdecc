"""Language identification settings (owned by the language-ID stage)."""

from __future__ import annotations

from pydantic import Field

from pipeline.config.base import StageConfig


class LangIdConfig(StageConfig):
    model: str = Field("bundled", description="'bundled' (lid.176.ftz) or a path to a fastText model.")
    min_score: float = Field(0.5, ge=0.0, le=1.0, description="Minimum top-label probability.")
    per_language: dict[str, float] = Field(default_factory=dict, description="Per-language min_score.")
