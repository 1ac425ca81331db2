"""The QAValidator's policy check: disclosures, the synthetic-media flag, made-for-kids, near-duplicates.

Rules (vendor-apis.md section 10):
- FTC 16 CFR 255: a material connection (affiliate commission, payment, free product)
  is disclosed clearly and conspicuously in the same medium as the claim: on screen
  AND spoken in the video, and at the top of the description. "Ad", "#ad",
  "Sponsored", "I earn a commission" are clear; "#sp", "#spon", "#collab" are not.
- Synthetic media (YouTube containsSyntheticMedia, TikTok is_aigc): required for
  realistic generated people, places or events; not for clearly animated or abstract
  content. A shot counts as realistic when a cloud text/image-to-video or avatar
  provider rendered it from a prompt that does not ask for an animated style, or when
  the script declares realistic_footage. The flag is decided here from those facts, so a
  script that did not foresee realistic footage is not sent back; publishing refuses any
  metadata that lacks the flag the report decided.
- Made for kids comes from the channel config and is always declared.
- Near-duplicates of the channel's recent uploads put monetization at risk (YPP
  "inauthentic content").
Each failing finding says what to change and which agent should change it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from reelcrew.config import ChannelConfig
from reelcrew.tools.media.models import AssembledVideo
from reelcrew.tools.monetization.fingerprints import (
    fingerprint, recent_fingerprints, script_similarity, visual_similarity,
)
from reelcrew.tools.monetization.models import Fingerprint, PolicyFinding, PolicyReport
from reelcrew.tools.script.models import Script
from reelcrew.tools.store.runstore import RunStore

CLEAR_DISCLOSURE = re.compile(
    r"(?<![\w#])(#?ad|ads|advertisement|sponsored|paid partnership|paid promotion|commission|affiliate link)(?!\w)",
    re.IGNORECASE,
)
# providers that render realistic scenes or people (cloud text/image-to-video, avatars)
REALISTIC_PROVIDERS = {"runway", "kling", "luma", "pika", "heygen", "sora", "veo", "fal"}
ANIMATED_STYLE = re.compile(
    r"\b(cartoon|animated|animation|anime|illustrat\w*|abstract|2d|3d render|motion graphics|pixel art|"
    r"claymation|flat design|infographic|kinetic text|text card|diagram|low[- ]poly)\b",
    re.IGNORECASE,
)
DUPLICATE_SCRIPT = 0.6  # Jaccard of 3-word shingles at or above which the script is a near-copy
DUPLICATE_VISUAL = 0.9  # frame similarity at or above which the visuals are a near-copy ...
DUPLICATE_VISUAL_SCRIPT = 0.35  # ... when the script also overlaps this much


def shot_providers(store: RunStore, run_id: str) -> dict[int, str]:
    """Which provider made each shot's accepted clip, from the run's generation attempts (item 'shot-N')."""
    with store.connect() as c:
        rows = c.execute(
            "SELECT item, provider FROM attempts WHERE run_id=? AND status='succeeded' ORDER BY id", (run_id,)
        ).fetchall()
    out: dict[int, str] = {}
    for row in rows:
        m = re.fullmatch(r"shot-(\d+)", str(row["item"]))
        if m:
            out[int(m.group(1))] = str(row["provider"]).lower()
    return out


def realistic_shots(script: Script, providers: Mapping[int, str]) -> list[int]:
    found = []
    for shot in script.shots:
        provider = providers.get(shot.index, "local").split(":")[0]
        if provider in REALISTIC_PROVIDERS and not ANIMATED_STYLE.search(shot.visual_prompt):
            found.append(shot.index)
    return found


def _disclosure_findings(script: Script, channel: ChannelConfig) -> tuple[list[PolicyFinding], bool]:
    links = {link.label: link for link in channel.monetization.affiliate_links}
    unknown = [p for p in script.promotes if p not in links]
    findings = []
    if unknown:
        findings.append(PolicyFinding(
            name="promoted_links_known", passed=False, route_to="Scriptwriter",
            detail=f"the script promotes {unknown!r}, which the channel has no affiliate link for",
            fix="promote only links listed in the channel's monetization.affiliate_links"))
    material = [p for p in script.promotes if p in links and links[p].material_connection]
    if not material:
        return findings, False
    on_screen = [s.index for s in script.shots if CLEAR_DISCLOSURE.search(s.on_screen_text)]
    spoken = [s.index for s in script.shots if CLEAR_DISCLOSURE.search(s.narration)]
    text = channel.monetization.disclosure_text
    findings += [
        PolicyFinding(
            name="disclosure_on_screen", passed=bool(on_screen), route_to="Scriptwriter",
            detail=f"shows {', '.join(material)} (material connection); on-screen disclosure in shots {on_screen or 'none'}",
            fix="put a clear disclosure such as 'Ad' or 'I earn a commission' in the on-screen text of the first "
                "shot that mentions the product (FTC 16 CFR 255: same medium as the claim)"),
        PolicyFinding(
            name="disclosure_spoken", passed=bool(spoken), route_to="Scriptwriter",
            detail=f"spoken disclosure in shots {spoken or 'none'}",
            fix="have the narration say it plainly, e.g. 'I earn a commission if you use my link'"),
        PolicyFinding(
            name="disclosure_in_description", passed=bool(CLEAR_DISCLOSURE.search(text)), route_to="Publisher",
            detail=f"the description opens with the channel's disclosure_text {text[:80]!r}",
            fix="set monetization.disclosure_text to a clear phrase ('Ad: ...', 'I earn a commission ...'); "
                "'#sp', '#spon' and '#collab' are ambiguous"),
    ]
    return findings, True


def _synthetic_finding(script: Script, providers: Mapping[int, str]) -> tuple[PolicyFinding, bool]:
    """The synthetic-media flag is decided here, from the facts (who rendered which shot from what prompt).

    It is not a script defect when the Scriptwriter did not foresee realistic footage: the report sets
    ``contains_synthetic_media``/``is_aigc``, ``build_metadata`` copies them, and ``publish`` refuses
    metadata without them. Failing here would send the script back for a declaration that changes
    nothing but costs a full re-render (and usually the per-video budget).
    """
    shots = realistic_shots(script, providers)
    flag = script.realistic_footage or bool(shots)
    if shots:
        used = ", ".join(f"{i} ({providers.get(i)})" for i in shots)
        declared = "" if script.realistic_footage else " (the script did not declare realistic_footage)"
        detail = (f"shots {used} are realistic AI-generated footage{declared}: containsSyntheticMedia and is_aigc "
                  "will be set")
        fix = "" if script.realistic_footage else \
            "nothing to do; to avoid the AI label, ask for a clearly animated style in those shots' visual prompts"
        return PolicyFinding(name="synthetic_media", passed=True, detail=detail, fix=fix,
                             route_to="Scriptwriter"), flag
    detail = ("the script declares realistic footage: containsSyntheticMedia and is_aigc will be set" if flag
              else "no realistic generated footage (local renderer or animated style): flags off")
    return PolicyFinding(name="synthetic_media", passed=True, detail=detail, route_to="Scriptwriter"), flag


def _duplicate_finding(fp: Fingerprint, store: RunStore, channel: str, run_id: str,
                       now: datetime | None) -> PolicyFinding:
    worst: tuple[float, float, str] = (0.0, 0.0, "")
    for other_run, published_at, other in recent_fingerprints(store, channel, now=now):
        if other.video_sha256 == fp.video_sha256 or other_run == run_id:
            continue  # the same video (a re-run) is not a copy of itself
        vis = visual_similarity(fp.frame_hashes, other.frame_hashes)
        scr = script_similarity(fp.script_text, other.script_text)
        if (scr, vis) > (worst[1], worst[0]):
            worst = (vis, scr, f"run {other_run} published {published_at[:10]}")
    vis, scr, which = worst
    dup = scr >= DUPLICATE_SCRIPT or (vis >= DUPLICATE_VISUAL and scr >= DUPLICATE_VISUAL_SCRIPT)
    if not dup:
        detail = f"closest recent upload: {which} (frames {vis:.0%}, script {scr:.0%})" if which else "no recent uploads"
        return PolicyFinding(name="near_duplicate", passed=True, detail=detail, route_to="Scriptwriter")
    script_led = scr >= DUPLICATE_SCRIPT
    return PolicyFinding(
        name="near_duplicate", passed=False, route_to="Scriptwriter" if script_led else "Dispatcher",
        detail=f"near-copy of {which}: frames {vis:.0%} alike, script {scr:.0%} alike; platforms demonetise "
               "repetitive, mass-produced uploads (YPP 'inauthentic content')",
        fix="write a new angle with a different hook and examples" if script_led
        else "re-render with different visuals (new prompts, footage or layout)")


def check_policy(script: Script, video: AssembledVideo, channel: ChannelConfig, *, store: RunStore, run_id: str,
                 providers: Mapping[int, str] | None = None, now: datetime | None = None) -> PolicyReport:
    """Run every policy check on a finished video; ``providers`` (shot -> provider) defaults to the run's attempts."""
    providers = dict(providers) if providers is not None else shot_providers(store, run_id)
    findings, commercial = _disclosure_findings(script, channel)
    synthetic, flag = _synthetic_finding(script, providers)
    findings.append(synthetic)
    findings.append(PolicyFinding(
        name="made_for_kids", passed=True, route_to="Publisher",
        detail=f"declared selfDeclaredMadeForKids={channel.monetization.made_for_kids} from the channel config"))
    fp = fingerprint(video.path, video.sha256, script.narration)
    findings.append(_duplicate_finding(fp, store, channel.name, run_id, now))
    return PolicyReport(
        run_id=run_id, passed=all(f.passed for f in findings), findings=findings,
        contains_synthetic_media=flag, is_aigc=flag, commercial_content=commercial,
        made_for_kids=channel.monetization.made_for_kids,
        disclosure=channel.monetization.disclosure_text if commercial else None, fingerprint=fp)
