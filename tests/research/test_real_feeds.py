"""Real exports and feeds (``../shared/data/real-feeds``, see its SOURCES.md): each defect of issue 15.

The files are read where they are, never copied into the project; without them the
tests skip and say why.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest


from reelcrew.config import ChannelConfig, TrendSource
from reelcrew.errors import InputError
from reelcrew.tools.trends import FeedFetcher, read_feed
from reelcrew.tools.trends.items import apply_charset, charset_of, decode_text
from reelcrew.tools.trends.models import TrendSignal
from reelcrew.tools.trends.normalize import deduplicate
from reelcrew.tools.trends.xml_feeds import parse_syndication

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real-feeds"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def channel_with(source: TrendSource, tmp: Path) -> ChannelConfig:
    cfg = ChannelConfig(name="demo", trends=[source])
    cfg.source_dir = tmp
    return cfg


def real(rel: str) -> Path:
    path = (REAL / rel).resolve()
    if not path.is_file():
        reason = f"real feed {rel} not found under {REAL} (the shared data folder is absent)"
        print(reason)
        pytest.skip(reason)
    return path


# -- 1. Atom relative links -------------------------------------------------------
def test_atom_relative_links_resolve_against_the_feeds_self_link():
    path = real("atom/talkingpointsmemo.atom")
    signals, skipped = parse_syndication(path.read_bytes(), str(path))
    assert len(signals) == 20 and not skipped
    assert all(s.url and s.url.startswith("http://talkingpointsmemo.com/") for s in signals)
    assert signals[0].url == ("http://talkingpointsmemo.com/livewire/"
                              "hannity-announces-fox-hired-sebastian-gorka-national-security-strategist")


def test_atom_xml_base_wins_over_the_self_link():
    feed = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://example.org/blog/">
  <title>t</title><link rel="self" href="https://elsewhere.example/feed.atom"/>
  <entry><title>One</title><link href="posts/1"/></entry>
  <entry xml:base="/archive/"><title>Two</title><link href="2"/></entry>
  <entry><title>Three</title><link href="https://abs.example/3"/></entry>
</feed>"""
    signals, _ = parse_syndication(feed, "test")
    assert [s.url for s in signals] == ["https://example.org/blog/posts/1", "https://example.org/archive/2",
                                        "https://abs.example/3"]


@pytest.mark.parametrize(("rel", "count"), [("atom/heise_developer.atom", 15), ("atom/reddit_home.atom", 24),
                                            ("atom/youtube_channel_IFT.xml", 15)])
def test_other_real_atom_feeds_keep_every_url(rel, count):
    path = real(rel)
    signals, _ = parse_syndication(path.read_bytes(), str(path))
    assert len(signals) == count and all(s.url and s.url.startswith("http") for s in signals)


# -- 4. HTTP Content-Type charset ---------------------------------------------------
def test_charset_is_read_from_the_content_type_header():
    assert charset_of("application/rss+xml; charset=ISO-8859-1") == "iso8859-1"
    assert charset_of('text/xml;Charset="windows-1251"') == "cp1251"
    assert charset_of("text/xml") is None and charset_of(None) is None and charset_of("text/xml; charset=nope") is None
    assert decode_text("Notícias".encode("latin-1"), "x", "text/xml; charset=latin-1") == "Notícias"


def test_latin1_feed_without_declaration_is_read_with_the_http_charset(tmp_path):
    path = real("rss/uol_noticias_undeclared_latin1.rss")
    body = path.read_bytes()

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "text/xml; charset=ISO-8859-1"})

    fetcher = FeedFetcher(transport=httpx.MockTransport(serve), backoff_s=0)
    cfg = channel_with(TrendSource(kind="rss", url="https://rss.uol.com.br/feed/noticias.xml"), tmp=tmp_path)
    batch = read_feed(cfg.trends[0], cfg, fetcher=fetcher, now=NOW)
    assert len(batch.signals) == 15
    assert any(ch in s.title for s in batch.signals for ch in "ãçéíóú")  # accents decoded, not mojibake
    assert all("\ufffd" not in s.title for s in batch.signals)


def test_the_same_latin1_file_on_disk_is_refused_cleanly(tmp_path):
    path = real("rss/uol_noticias_undeclared_latin1.rss")
    cfg = channel_with(TrendSource(kind="rss", path=str(path)), tmp=tmp_path)
    with pytest.raises(InputError, match="not UTF-8"):
        read_feed(cfg.trends[0], cfg, now=NOW)


def test_http_charset_overrides_a_declaration_after_transcoding():
    data = '<?xml version="1.0" encoding="windows-1251"?><rss><channel><item><title>Привет</title></item></channel></rss>'
    converted = apply_charset(data.encode("cp1251"), "text/xml; charset=windows-1251", "x")
    signals, _ = parse_syndication(converted, "x")
    assert signals[0].title == "Привет"


# -- 6. Deduplication within one feed; advertiser items --------------------------------
def test_wellness_calendars_for_different_places_and_weeks_stay_apart():
    path = real("rss/washingtonpost_wellness.xml")
    signals, skipped = parse_syndication(path.read_bytes(), str(path))
    kept = deduplicate(signals)
    titles = {s.title for s in kept}
    assert len(signals) == 26 and len(kept) == 26
    assert {"Fairfax wellness calendar, Aug. 23-30", "D.C. wellness calendar, Aug. 23-30",
            "D.C. wellness calendar, Aug. 16-23", "D.C. wellness calendar, Aug. 9-16"} <= titles


def test_featured_advertiser_items_are_skipped_with_a_reason():
    path = real("rss/washingtonpost_wellness.xml")
    signals, skipped = parse_syndication(path.read_bytes(), str(path))
    assert not any("advertiser" in s.title.lower() for s in signals)
    ads = [s for s in skipped if s.reason == "advertiser item, not a topic"]
    assert [s.item for s in ads] == ["#1", "#21", "#23"]


def test_near_duplicates_across_feeds_still_merge_but_not_other_weeks():
    def sig(source, title, v):
        return TrendSignal(source=source, title=title, velocity=v)

    merged = deduplicate([sig("rss:a", "Fed raises interest rates again, markets shrug", 0.9),
                          sig("rss:b", "Fed raises interest rates again - markets shrug!", 0.5),
                          sig("rss:b", "Loudoun County wellness calendar, Aug. 16-23", 0.4),
                          sig("rss:a", "Loudoun County wellness calendar, Aug. 9-16", 0.3)])
    assert len(merged) == 3 and merged[0].also_in == ["rss:b"]
