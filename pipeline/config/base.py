"""Shared base for every configuration model: unknown keys are errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """A config section: unknown keys are rejected, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class StageConfig(StrictModel):
    """A pipeline stage that can be switched off with ``enabled: false``."""

    enabled: bool = Field(True, description="Run this stage; false switches it off.")
