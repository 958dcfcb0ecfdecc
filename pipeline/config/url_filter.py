"""Settings of the url stage (owned by that stage): URL blocklist and exact URL dedup."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.config.base import StageConfig


class UrlFilterConfig(StageConfig):
    """Documents without a URL in ``metadata[url_field]`` pass through untouched."""

    url_field: str = Field("url", min_length=1, description="Metadata key holding the page URL (the warc reader "
                           "writes url; JSONL/Parquet sources keep their own fields as metadata).")
    date_field: str = Field("crawl_date", min_length=1,
                            description="Metadata key holding the crawl date (ISO 8601), used by dedup's keep rule.")
    domains: list[str] = Field(default_factory=list,
                               description="Blocked domains: a URL whose host is one of them or a subdomain of one "
                               "is dropped (url:blocklist).")
    domain_files: list[str] = Field(default_factory=list,
                                    description="Files (local, gs://, s3://) of blocked domains, one per line; "
                                    "# starts a comment.")
    substrings: list[str] = Field(default_factory=list,
                                  description="Blocked URL substrings (case-insensitive), e.g. /wp-login.php.")
    substring_files: list[str] = Field(default_factory=list,
                                       description="Files of blocked URL substrings, one per line; # starts a comment.")
    dedup: bool = Field(True, description="Exact URL dedup: of the documents with the same normalised URL one is "
                        "kept, the others are dropped (url:duplicate).")
    keep: Literal["latest", "earliest"] = Field(
        "latest", description="Which copy dedup keeps: the latest or the earliest crawl date; ties (and missing "
        "dates, which count as the oldest) go to the smallest document id.")
