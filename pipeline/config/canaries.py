"""Settings of the canaries stage (owned by that stage)."""

from __future__ import annotations

from pydantic import Field

from pipeline.config.base import StageConfig


class CanariesConfig(StageConfig):
    enabled: bool = Field(False, description="Run this stage; off unless switched on.")
