"""Settings of the control_tokens stage (owned by that stage)."""

from __future__ import annotations

from pydantic import Field

from pipeline.config.base import StageConfig


class ControlTokensConfig(StageConfig):
    enabled: bool = Field(False, description="Run this stage; off unless switched on.")
