"""XML trend feeds: RSS 2.0, Atom 1.0, and Google Trends daily-trends RSS (``ht:`` fields).

Parsed with defusedxml: a feed from a stranger may declare entities (the "billion
laughs") or external references; those are refused, not expanded. Bytes go to the
parser as they are, so a feed that declares its own encoding (e.g. ISO-8859-1) is
read correctly; undeclared text must be UTF-8.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from reelcrew.errors import InputError
from reelcrew.tools.trends.items import cap_items, collect, make_signal, require_nonempty
from reelcrew.tools.trends.models import SkippedItem, TrendSignal
from reelcrew.tools.trends.sanitize import clean_text

Parsed = tuple[list[TrendSignal], list[SkippedItem]]
ATOM = "{http://www.w3.org/2005/Atom}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def load_xml(data: bytes, where: str, expected: str) -> Element:
    require_nonempty(data, where)
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        raise InputError(f"expected {expected} XML but the file is JSON", where=where,
                         hint="set the source's `kind` to youtube or reddit")
    try:
        return fromstring(data)
    except DefusedXmlException:
        raise InputError("feed declares XML entities or a DTD; refused for safety", where=where) from None
    except ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        reason = str(exc).split(":")[0]
        if _not_utf8(data) and b"encoding=" not in data[:200]:
            reason = "text is not UTF-8 and the feed declares no other encoding"
        raise InputError(f"not valid XML: {reason} (line {line}, column {col})", where=where) from None


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


def _text(el: Element | None, name: str) -> str | None:
    """Text of the first child whose local name is ``name`` (namespaces vary across feeds)."""
    if el is None:
        return None
    for child in el:
        if _local(child.tag) == name:
            return "".join(child.itertext())
    return None


def element_dict(el: Element, depth: int = 0) -> dict[str, Any]:
    """A plain dict of an XML item, kept as the raw audit record."""
    out: dict[str, Any] = {f"@{k}": v for k, v in el.attrib.items()}
    for child in el:
        key = _local(child.tag)
        value: Any = element_dict(child, depth + 1) if len(child) and depth < 4 else "".join(child.itertext()).strip()
        if not len(child) and child.attrib:
            value = {**{f"@{k}": v for k, v in child.attrib.items()}, "#text": value} if value else {f"@{k}": v for k, v in child.attrib.items()}
        if key in out:
            prev = out[key]
            out[key] = prev + [value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


def parse_syndication(data: bytes, where: str) -> Parsed:
    """Any RSS 2.0 (``<rss><channel><item>``) or Atom (``<feed><entry>``) feed."""
    root = load_xml(data, where, "RSS or Atom")
    kind = _local(root.tag)
    if kind == "rss":
        return _parse_rss(root, where, "rss")
    if kind == "feed":
        return _parse_atom(root, where)
    raise InputError(f"not an RSS 2.0 or Atom feed (root element <{clean_text(kind, limit=40)}>)", where=where)


def parse_google_trends(data: bytes, where: str) -> Parsed:
    """Google Trends daily trends: RSS items with ``ht:approx_traffic`` and ``ht:news_item``."""
    root = load_xml(data, where, "Google Trends RSS")
    if _local(root.tag) != "rss":
        raise InputError(f"not a Google Trends RSS feed (root element <{clean_text(_local(root.tag), limit=40)}>)", where=where)
    return _parse_rss(root, where, "google_trends")


def _parse_rss(root: Element, where: str, kind: str) -> Parsed:
    channel = next((c for c in root if _local(c.tag) == "channel"), None)
    if channel is None:
        raise InputError("RSS feed has no <channel>", where=where)
    source = _source_name(kind, _text(channel, "title"), _geo(_text(channel, "link")))
    items, skipped = cap_items([c for c in channel if _local(c.tag) == "item"], source)
    results = []
    for i, item in enumerate(items):
        raw = element_dict(item)
        traffic = _text(item, "approx_traffic")
        results.append(make_signal(
            source, i, title=_text(item, "title"), raw=raw, url=_text(item, "link"),
            published=_text(item, "pubDate"), score=traffic,
        ))
    signals, item_skips = collect(results)
    return signals, skipped + item_skips


def _feed_base(root: Element) -> str | None:
    """What relative hrefs resolve against: ``xml:base``, else the feed's self link, else its alternate link."""
    links = {c.attrib.get("rel", "alternate"): c.attrib.get("href") for c in root if _local(c.tag) == "link"}
    for candidate in (root.attrib.get(XML_BASE), links.get("self"), links.get("alternate")):
        if candidate and urlsplit(candidate).scheme in ("http", "https"):
            return candidate
    return root.attrib.get(XML_BASE)


def _entry_link(entry: Element, base: str | None) -> str | None:
    """The entry's alternate link, resolved against the entry's own ``xml:base`` and the feed's base."""
    link = next((c for c in entry if _local(c.tag) == "link" and c.attrib.get("rel", "alternate") == "alternate"), None)
    if link is None or not link.attrib.get("href"):
        return None
    for layer in (entry.attrib.get(XML_BASE), link.attrib.get(XML_BASE)):
        if layer:
            base = urljoin(base, layer) if base else layer
    href = link.attrib["href"].strip()
    return urljoin(base, href) if base else href


def _parse_atom(root: Element, where: str) -> Parsed:
    source = _source_name("atom", _text(root, "title"), None)
    items, skipped = cap_items([c for c in root if _local(c.tag) == "entry"], source)
    base = _feed_base(root)
    results = []
    for i, entry in enumerate(items):
        link = _entry_link(entry, base)
        stats = next((c for c in entry.iter() if _local(c.tag) == "statistics"), None)  # media:community
        results.append(make_signal(
            source, i, title=_text(entry, "title"), raw=element_dict(entry), url=link,
            published=_text(entry, "published") or _text(entry, "updated"),
            views=stats.attrib.get("views") if stats is not None else None,
        ))
    signals, item_skips = collect(results)
    return signals, skipped + item_skips


def _geo(link: str | None) -> str | None:
    if link and "geo=" in link:
        return link.split("geo=", 1)[1].split("&", 1)[0][:8]
    return None


def _source_name(kind: str, title: str | None, geo: str | None) -> str:
    if kind == "google_trends":
        return f"google_trends:{clean_text(geo, limit=8)}" if geo else "google_trends"
    name = clean_text(title, limit=40)
    return f"{kind}:{name}" if name else kind
