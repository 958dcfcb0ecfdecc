"""Mixture settings: budget, weights, language sampling and output shards."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.config.base import StrictModel


class ShardsConfig(StrictModel):
    count: int = Field(8, ge=1, le=100_000, description="Number of output shards.")
    format: Literal["parquet", "jsonl.gz"] = Field("parquet", description="Shard file format.")
    compression: Literal["zstd", "snappy", "gzip", "none"] = Field(
        "zstd", description="Parquet column compression."
    )


class MixtureConfig(StrictModel):
    shards: ShardsConfig = Field(default_factory=ShardsConfig)
