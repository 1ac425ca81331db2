"""One master video, repurposed: titles, descriptions, captions, tags and hashtags per platform.

Every platform has its own limits (lengths, counts, forbidden characters); the
disclosure of a material connection always leads the description or caption so it
is visible before "more" (FTC 16 CFR 255: clear and conspicuous, not buried). When
something must be cut to fit, the free text is shortened, never the disclosure,
the links or the call to action.
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel

from reelcrew.config import ChannelConfig
from reelcrew.errors import InputError
from reelcrew.tools.monetization.models import PolicyReport
from reelcrew.tools.publishing.models import MetadataLink, VideoMetadata
from reelcrew.tools.script.models import Script


class PlatformLimits(BaseModel):
    title_chars: int | None = None
    text_limit: int  # description or caption
    text_unit: str  # "bytes" (UTF-8), "utf16" or "chars"
    tags_total_chars: int | None = None
    hashtags_max: int
    links_clickable: bool
    no_angle_brackets: bool = False


# Sources: vendor-apis.md sections 7-9 (YouTube videos resource, TikTok post_info.title,
# Instagram content publishing). YouTube ignores all hashtags when a video has more than
# 60; 15 keeps them readable.
LIMITS: dict[str, PlatformLimits] = {
    "youtube": PlatformLimits(title_chars=100, text_limit=5000, text_unit="bytes", tags_total_chars=500,
                              hashtags_max=15, links_clickable=True, no_angle_brackets=True),
    "tiktok": PlatformLimits(text_limit=2200, text_unit="utf16", hashtags_max=20, links_clickable=False),
    "instagram": PlatformLimits(text_limit=2200, text_unit="chars", hashtags_max=30, links_clickable=False),
    "outbox": PlatformLimits(title_chars=100, text_limit=5000, text_unit="bytes", tags_total_chars=500,
                             hashtags_max=15, links_clickable=True, no_angle_brackets=True),
}


def text_length(text: str, unit: str) -> int:
    if unit == "bytes":
        return len(text.encode("utf-8"))
    if unit == "utf16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def _clean(text: str, limits: PlatformLimits) -> str:
    text = unicodedata.normalize("NFC", text)
    if limits.no_angle_brackets:
        text = text.replace("<", "").replace(">", "")
    return " ".join(text.split())


def _cut(text: str, budget: int, unit: str) -> str:
    """Shorten at a word boundary so ``text`` fits ``budget`` units, ending with an ellipsis."""
    if text_length(text, unit) <= budget:
        return text
    words = text.split()
    while len(words) > 1 and text_length(" ".join(words) + "…", unit) > budget:
        words.pop()
    out = " ".join(words)
    while out and text_length(out + "…", unit) > budget:  # one very long word: cut inside it
        out = out[: max(len(out) - max(len(out) // 8, 1), 0)]
    return (out + "…") if out else ""


def hashtags_for(script: Script, limit: int) -> list[str]:
    """CamelCase hashtags from the script's tags, deduplicated, letters and digits only."""
    seen: dict[str, str] = {}
    for tag in script.tags:
        words = re.findall(r"[^\W_]+", tag, flags=re.UNICODE)
        body = "".join(w[:1].upper() + w[1:] for w in words)
        if body and body.lower() not in seen:
            seen[body.lower()] = "#" + body
    tags = list(seen.values())
    if "#shorts" not in seen and len(tags) < limit:
        tags.append("#Shorts")
    return tags[:limit]


def youtube_tags(script: Script, limit_total: int) -> list[str]:
    """Tags whose total length stays within YouTube's 500 characters (a tag with a space counts 2 more for quotes)."""
    out: list[str] = []
    total = 0
    for raw in script.tags:
        tag = " ".join(raw.replace("<", "").replace(">", "").replace(",", " ").split())
        if not tag or tag.lower() in {t.lower() for t in out}:
            continue
        cost = len(tag) + (2 if " " in tag else 0) + (1 if out else 0)
        if total + cost > limit_total:
            break
        out.append(tag)
        total += cost
    return out


def promoted_links(script: Script, channel: ChannelConfig) -> list[MetadataLink]:
    """The channel's affiliate links the script promotes; an unknown label is an input error."""
    by_label = {link.label: link for link in channel.monetization.affiliate_links}
    unknown = [p for p in script.promotes if p not in by_label]
    if unknown:
        raise InputError(
            f"the script promotes {unknown!r}, which is not an affiliate link of channel {channel.name!r}",
            hint="list it under monetization.affiliate_links in the channel file, or remove it from Script.promotes",
        )
    return [MetadataLink(**by_label[p].model_dump()) for p in script.promotes]


def build_metadata(
    script: Script, channel: ChannelConfig, platform: str, *, policy: PolicyReport | None = None
) -> VideoMetadata:
    """Title, description or caption, tags and disclosure flags for one platform, within its limits."""
    if platform not in LIMITS:
        raise InputError(f"unknown platform {platform!r}", hint=f"use one of {', '.join(LIMITS)}")
    limits = LIMITS[platform]
    links = promoted_links(script, channel)
    commercial = policy.commercial_content if policy else any(link.material_connection for link in links)
    synthetic = policy.contains_synthetic_media if policy else script.realistic_footage
    disclosure = _clean(channel.monetization.disclosure_text, limits) if commercial else None

    title = _clean(script.title, limits)
    if limits.title_chars:
        title = _cut(title, limits.title_chars, "chars")
    hashtags = hashtags_for(script, limits.hashtags_max)
    body = _clean(script.description or script.hook, limits)
    if limits.links_clickable:
        link_lines = [f"{_clean(link.label, limits)}: {link.url}" for link in links]
    else:
        link_lines = [f"{_clean(link.label, limits)}: link in bio" for link in links]
    cta = _clean(script.call_to_action or channel.monetization.call_to_action, limits)
    lead = [] if limits.title_chars else [title]  # captions carry the title; YouTube has its own field

    def compose(text: str, tags: list[str]) -> str:
        blocks = [disclosure or "", *lead, text, "\n".join(link_lines), cta, " ".join(tags)]
        return "\n\n".join(b for b in blocks if b)

    fixed = text_length(compose("", hashtags), limits.text_unit)
    if fixed > limits.text_limit:
        hashtags = []
        fixed = text_length(compose("", hashtags), limits.text_unit)
    if fixed > limits.text_limit:
        raise InputError(
            f"{platform}: disclosure, links and call to action alone exceed the {limits.text_limit}-{limits.text_unit} limit",
            hint="shorten monetization.disclosure_text or call_to_action in the channel file",
        )
    body = _cut(body, limits.text_limit - fixed - 2, limits.text_unit)
    description = compose(body, hashtags)

    return VideoMetadata(
        title=title,
        description=description,
        tags=youtube_tags(script, limits.tags_total_chars) if limits.tags_total_chars else [],
        hashtags=hashtags,
        contains_synthetic_media=synthetic,
        made_for_kids=channel.monetization.made_for_kids,
        commercial_content=commercial,
        disclosure=disclosure,
        brand_content=commercial,
        brand_organic=False,
        links=links,
    )


def check_limits(metadata: VideoMetadata, platform: str) -> list[str]:
    """Every limit the metadata breaks on ``platform`` (empty when it fits); adapters call it before posting."""
    limits = LIMITS[platform]
    problems = []
    if limits.title_chars and len(metadata.title) > limits.title_chars:
        problems.append(f"title is {len(metadata.title)} characters (limit {limits.title_chars})")
    n = text_length(metadata.description, limits.text_unit)
    if n > limits.text_limit:
        problems.append(f"description is {n} {limits.text_unit} (limit {limits.text_limit})")
    if limits.no_angle_brackets and any(c in metadata.title + metadata.description for c in "<>"):
        problems.append("title or description contains < or >")
    if limits.tags_total_chars:
        total = sum(len(t) + (2 if " " in t else 0) for t in metadata.tags) + max(len(metadata.tags) - 1, 0)
        if total > limits.tags_total_chars:
            problems.append(f"tags total {total} characters (limit {limits.tags_total_chars})")
    count = len(re.findall(r"(?<!\w)#\w+", metadata.description))
    if count > limits.hashtags_max and platform == "instagram":
        problems.append(f"{count} hashtags (limit {limits.hashtags_max})")
    return problems
