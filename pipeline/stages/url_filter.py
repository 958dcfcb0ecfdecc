"""URL filtering stage (Beam): blocklist per document, then exact URL dedup.

Dedup is distributed and deterministic: only (URL key, (crawl date, document id)) pairs
are grouped by URL key; each group names the documents it does not keep, and that small
decision is joined back to the documents by id (ids are unique after the read step).
Documents without a URL do not take part in the join.
"""

from __future__ import annotations

import functools

import apache_beam as beam
from apache_beam import pvalue

from pipeline import files as fs
from pipeline.config.url_filter import UrlFilterConfig
from pipeline.records import Doc, Dropped
from pipeline.stages.base import DROPPED, STATS, FilterDoFn, count
from pipeline.stages.url_filter_core import (STAGE, Blocklist, UrlDecider, date_key, dedup_decisions, parse_list,
                                             url_key)


def load_blocklist(settings: UrlFilterConfig) -> Blocklist:
    """The configured blocklist: inline entries plus the entries of every listed file."""
    domains = list(settings.domains)
    substrings = list(settings.substrings)
    for path in settings.domain_files:
        domains += parse_list(fs.read_bytes(path).decode("utf-8"))
    for path in settings.substring_files:
        substrings += parse_list(fs.read_bytes(path).decode("utf-8"))
    return Blocklist(domains, substrings)


def _make_decider(settings: UrlFilterConfig) -> UrlDecider:
    return UrlDecider(load_blocklist(settings), settings.url_field)


class _CountKeptFn(beam.DoFn):
    """Counts the stage's kept documents once, at its end (its steps do not)."""

    def setup(self):
        self._kept = count(STAGE, "kept")

    def process(self, doc: Doc):
        self._kept.inc()
        yield doc


class _JoinDecisionFn(beam.DoFn):
    """(doc id, {"doc": [Doc], "kept_as": [kept id]}) -> the Doc, or Dropped url:duplicate."""

    def setup(self):
        self._dropped = count(STAGE, "dropped")

    def process(self, element):
        _, grouped = element
        kept_as = list(grouped["kept_as"])
        for doc in grouped["doc"]:
            if kept_as:
                self._dropped.inc()
                yield pvalue.TaggedOutput(DROPPED, Dropped(doc.with_metadata(url_duplicate_of=kept_as[0]),
                                                           f"{STAGE}:duplicate"))
            else:
                yield doc


class UrlFilter(beam.PTransform):
    def __init__(self, settings: UrlFilterConfig):
        super().__init__()
        self._settings = settings.model_copy(update={
            "domain_files": [fs.normalize_path(p) for p in settings.domain_files],
            "substring_files": [fs.normalize_path(p) for p in settings.substring_files]})

    def expand(self, docs):
        settings = self._settings
        blocked = docs | "UrlBlocklist" >> beam.ParDo(
            FilterDoFn(STAGE, functools.partial(_make_decider, settings), count_kept=False)
        ).with_outputs(DROPPED, STATS, main="kept")
        result = {"kept": blocked.kept, "dropped": blocked[DROPPED], "stats": blocked[STATS]}
        if not settings.dedup:
            return {**result, "kept": result["kept"] | "CountUrlKept" >> beam.ParDo(_CountKeptFn())}
        field, date_field, keep = settings.url_field, settings.date_field, settings.keep

        def key_of(doc: Doc):
            return url_key(doc.metadata.get(field) or "")

        with_url, without_url = result["kept"] | "SplitByUrl" >> beam.Partition(
            lambda doc, _: 0 if key_of(doc) is not None else 1, 2)
        not_kept = (
            with_url
            | "UrlKeys" >> beam.Map(lambda d: (key_of(d), (date_key(d.metadata.get(date_field)), d.id)))
            | "GroupByUrl" >> beam.GroupByKey()
            | "ChooseKept" >> beam.FlatMap(lambda kv: dedup_decisions(kv[0], kv[1], keep))
        )
        joined = (
            {"doc": with_url | "DocsById" >> beam.Map(lambda d: (d.id, d)), "kept_as": not_kept}
            | "JoinDecisions" >> beam.CoGroupByKey()
            | "ApplyDecisions" >> beam.ParDo(_JoinDecisionFn()).with_outputs(DROPPED, main="kept")
        )
        return {
            "kept": (joined.kept, without_url) | "UrlKept" >> beam.Flatten() | "CountUrlKept" >> beam.ParDo(_CountKeptFn()),
            "dropped": (result["dropped"], joined[DROPPED]) | "UrlDropped" >> beam.Flatten(),
            "stats": result["stats"],
        }
