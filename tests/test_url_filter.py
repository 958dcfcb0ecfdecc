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


def test_a_run_over_a_warc_source_accounts_for_rejected_blocked_and_duplicate_pages(tmp_path):
    import gzip
    import json

    from pipeline.config import load_config
    from pipeline.io.warc import http_response, warc_record
    from pipeline.run import run

    def page(n):
        body = (f"<html lang=en><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav><main><p>"
                f"Page number {n} talks about rivers, hills and the weather in spring.</p></main></body></html>")
        return http_response(body.encode())

    records = [
        warc_record("response", "https://example.org/a", page(1), "2023-01-01T00:00:00Z", "urn:uuid:1"),
        warc_record("response", "https://example.org/a", page(2), "2024-01-01T00:00:00Z", "urn:uuid:2"),
        warc_record("response", "https://ads.example/x", page(3), "2024-01-01T00:00:00Z", "urn:uuid:3"),
        warc_record("response", "https://example.org/gone", http_response(b"", 404), "2024-01-01T00:00:00Z",
                    "urn:uuid:4"),
        warc_record("response", "https://example.org/b", page(5), "2024-01-01T00:00:00Z", "urn:uuid:5"),
    ]
    data = tmp_path / "crawl.warc.gz"
    data.write_bytes(b"".join(gzip.compress(r) for r in records))
    config = tmp_path / "c.yaml"
    config.write_text(
        f"name: webrun\noutput: {tmp_path / 'out'}\nsources:\n  - name: crawl\n    paths: ['{data}']\n"
        "url_filter: {domains: [ads.example]}\n"
        "langid: {enabled: false}\nquality: {enabled: false}\ndedup: {enabled: false}\npii: {enabled: false}\n"
        "mixture:\n  shards: {count: 1, format: jsonl.gz}\n", encoding="utf-8")
    summary = run(load_config(str(config)), [], log=lambda _m: None)
    acct = summary.accounting
    assert (acct["read"], acct["written"], acct["rejected"], acct["dropped"]) == (5, 2, 1, 2)
    with gzip.open(tmp_path / "out" / "shards" / "part-00000-of-00001.jsonl.gz", "rt", encoding="utf-8") as f:
        kept = sorted(json.loads(line)["id"] for line in f)
    assert kept == ["urn:uuid:2", "urn:uuid:5"]
    rejected = [json.loads(line) for p in sorted((tmp_path / "out" / "rejected").iterdir())
                for line in p.read_text(encoding="utf-8").splitlines()]
    assert [(r["file"], r["line"], r["reason"]) for r in rejected] == [("crawl.warc.gz", 4, "http_status: 404")]
    stats = json.loads((tmp_path / "out" / "_run" / "stats.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in stats.items() if k.startswith("dropped/url") and not k.endswith("/tokens")} == {
        "dropped/url:blocklist/crawl/und/docs": 1,
        "dropped/url:blocklist/crawl/und/chars": len("Page number 3 talks about rivers, hills and the weather in spring."),
        "dropped/url:duplicate/crawl/und/docs": 1,
        "dropped/url:duplicate/crawl/und/chars": len("Page number 1 talks about rivers, hills and the weather in spring.")}
