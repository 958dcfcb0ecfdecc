"""URL blocklist and exact URL dedup: the core, then the Beam transform."""

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipeline.config import ConfigError, parse_config
from pipeline.config.url_filter import UrlFilterConfig
from pipeline.records import Doc, Dropped
from pipeline.stages.url_filter import UrlFilter, load_blocklist
from pipeline.stages.url_filter_core import (Blocklist, UrlDecider, choose_kept, date_key, dedup_decisions,
                                             parse_list, url_key)


def doc(id_, url=None, date=None):
    meta = {}
    if url is not None:
        meta["url"] = url
    if date is not None:
        meta["crawl_date"] = date
    return Doc(id=id_, text="text " + id_, source="crawl", metadata=meta)


def test_url_key_normalisation():
    assert url_key("HTTPS://Example.ORG:443/Path/?q=1#frag") == "https://example.org/Path/?q=1"
    assert url_key("http://example.org.") == "http://example.org/"
    assert url_key("http://example.org:8080/a") == "http://example.org:8080/a"
    assert url_key("http://example.org:80/a") == "http://example.org/a"
    assert url_key("example.org/no-scheme") is None
    assert url_key("http://[::1:bad/") is None
    assert url_key("") is None


def test_blocklist_domains_cover_subdomains_only_on_label_boundaries():
    blocklist = Blocklist(parse_list("# adult\nBad.example\n\nads.net  # trackers\n"), ["/wp-login.php"])
    assert blocklist.domains == {"bad.example", "ads.net"}
    assert blocklist.match(url_key("https://bad.example/x")) == "domain"
    assert blocklist.match(url_key("https://www.BAD.example/x")) == "domain"
    assert blocklist.match(url_key("https://notbad.example/x")) is None
    assert blocklist.match(url_key("https://good.org/WP-LOGIN.PHP?x")) == "substring"
    assert blocklist.match(url_key("https://good.org/page")) is None


def test_decider_drops_blocked_urls_and_passes_docs_without_url():
    decide = UrlDecider(Blocklist(["bad.example"], []), "url")
    dropped, stats = decide(doc("a", "https://m.bad.example/"))
    assert dropped == Dropped(doc("a", "https://m.bad.example/"), "url:blocklist")
    assert stats == [("url/blocklist/domain/crawl", 1)]
    assert decide(doc("b", "https://good.org/")) == doc("b", "https://good.org/")
    assert decide(doc("c")) == doc("c")


def test_choose_kept_latest_earliest_ties_and_missing_dates():
    items = [(date_key("2024-01-01T00:00:00Z"), "b"), (date_key("2024-06-01T00:00:00+02:00"), "c"),
             (date_key("2024-06-01T00:00:00+02:00"), "a"), (date_key(None), "0"), (date_key("garbage"), "1")]
    assert choose_kept(items, "latest") == "a"
    assert choose_kept(items, "earliest") == "b"
    assert choose_kept([(date_key(None), "z"), (date_key(""), "y")], "earliest") == "y"
    assert date_key("2024-06-01T02:00:00+02:00") == date_key("2024-06-01T00:00:00Z")
    assert dedup_decisions("k", [("", "only")], "latest") == []
    assert sorted(dedup_decisions("k", items, "latest")) == [("0", "a"), ("1", "a"), ("b", "a"), ("c", "a")]


def test_blocklist_files_are_read_and_must_exist(tmp_path):
    domains = tmp_path / "domains.txt"
    domains.write_text("bad.example\n# comment\n", encoding="utf-8")
    settings = UrlFilterConfig(domain_files=[str(domains)], substrings=["/ads/"])
    blocklist = load_blocklist(settings)
    assert blocklist.domains == {"bad.example"} and blocklist.substrings == ("/ads/",)
    data = tmp_path / "a.jsonl"
    data.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"url_filter.domain_files\[0\]: no such file"):
        parse_config({"name": "t", "sources": [{"name": "s", "paths": [str(data)]}],
                      "url_filter": {"domain_files": [str(tmp_path / "missing.txt")]}})


def test_transform_blocks_then_keeps_the_latest_copy_of_each_url(beam_pipeline):
    docs = [
        doc("old", "https://example.org/a", "2023-01-01T00:00:00Z"),
        doc("new", "HTTPS://EXAMPLE.org/a#top", "2024-01-01T00:00:00Z"),
        doc("mid", "https://example.org/a", "2023-06-01T00:00:00Z"),
        doc("tie2", "https://example.org/b", "2024-01-01T00:00:00Z"),
        doc("tie1", "https://example.org/b", "2024-01-01T00:00:00Z"),
        doc("blocked", "https://spam.example/a", "2025-01-01T00:00:00Z"),
        doc("solo", "https://example.org/c"),
        doc("nourl"),
    ]
    settings = UrlFilterConfig(domains=["spam.example"])
    with beam_pipeline as p:
        out = p | beam.Create(docs) | UrlFilter(settings)
        assert_that(out["kept"] | "KeptIds" >> beam.Map(lambda d: d.id),
                    equal_to(["new", "tie1", "solo", "nourl"]), label="kept")
        assert_that(out["dropped"] | "Dropped" >> beam.Map(
            lambda d: (d.doc.id, d.reason, d.doc.metadata.get("url_duplicate_of"))),
            equal_to([("old", "url:duplicate", "new"), ("mid", "url:duplicate", "new"),
                      ("tie2", "url:duplicate", "tie1"), ("blocked", "url:blocklist", None)]), label="dropped")


def test_transform_without_dedup_keeps_duplicates(beam_pipeline):
    docs = [doc("x", "https://example.org/a"), doc("y", "https://example.org/a")]
    with beam_pipeline as p:
        out = p | beam.Create(docs) | UrlFilter(UrlFilterConfig(dedup=False))
        assert_that(out["kept"] | beam.Map(lambda d: d.id), equal_to(["x", "y"]))
