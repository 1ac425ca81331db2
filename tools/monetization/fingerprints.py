"""Near-duplicate detection: perceptual hashes of frames plus word-shingle similarity of scripts.

Platforms demonetise mass-produced, near-duplicate uploads (YouTube Partner Program
"inauthentic content"). A video is fingerprinted by the 64-bit difference hash (dHash)
of a few evenly spaced frames, decoded with PyAV, and by the 3-word shingles of its
narration. Comparing two videos gives a visual similarity (1 - mean Hamming distance of
best-matching frames / 64) and a script similarity (Jaccard of shingles).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import av
import numpy as np
from PIL import Image

from reelcrew import clock
from reelcrew.errors import InputError
from reelcrew.tools.monetization.models import Fingerprint
from reelcrew.tools.store.runstore import RunStore

FRAMES = 6


def dhash(image: Image.Image) -> int:
    """64-bit difference hash: is each pixel of a 9x8 grayscale thumbnail brighter than its right neighbour."""
    small = np.asarray(image.convert("L").resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def frame_hashes(video: Path, count: int = FRAMES) -> list[str]:
    """dHashes of ``count`` frames spread over the video (skipping the very first and last moments)."""
    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            duration = float(container.duration or 0) / av.time_base if container.duration else 0.0
            if duration <= 0 and stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            targets = [duration * (i + 0.5) / count for i in range(count)] if duration > 0 else []
            hashes: list[str] = []
            for t in targets:
                container.seek(int(t / stream.time_base), stream=stream, any_frame=False, backward=True)
                for frame in container.decode(stream):
                    if frame.time is None or frame.time >= t - 0.05:
                        hashes.append(f"{dhash(frame.to_image()):016x}")
                        break
            return hashes
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise InputError(f"cannot read frames for the duplicate check: {exc}", where=str(video)) from None


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def visual_similarity(a: list[str], b: list[str]) -> float:
    """1.0 for the same frames; each frame of ``a`` is matched to its closest frame of ``b``."""
    if not a or not b:
        return 0.0
    distances = [min(hamming(x, y) for y in b) for x in a]
    return 1.0 - (sum(distances) / len(distances)) / 64.0


def shingles(text: str, n: int = 3) -> set[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i:i + n]) for i in range(max(len(words) - n + 1, 1))} if words else set()


def script_similarity(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def fingerprint(video: Path, video_sha256: str, script_text: str) -> Fingerprint:
    return Fingerprint(video_sha256=video_sha256, frame_hashes=frame_hashes(video), script_text=script_text)


def remember_published_hashes(store: RunStore, *, channel: str, run_id: str | None, fingerprint: Fingerprint,
                              published_at: datetime | None = None) -> None:
    """Keep a published video's fingerprint so later videos are compared with it (idempotent)."""
    with store.connect() as c:
        c.execute(
            """INSERT OR IGNORE INTO video_fingerprints(channel, video_sha256, run_id, frame_hashes, script_text,
               published_at) VALUES (?,?,?,?,?,?)""",
            (channel, fingerprint.video_sha256, run_id, json.dumps(fingerprint.frame_hashes), fingerprint.script_text,
             (published_at or clock.now()).isoformat()),
        )


def recent_fingerprints(store: RunStore, channel: str, *, days: int = 90,
                        now: datetime | None = None) -> list[tuple[str | None, str, Fingerprint]]:
    """(run_id, published_at, fingerprint) of the channel's uploads in the last ``days``."""
    since = (now or clock.now()) - timedelta(days=days)
    with store.connect() as c:
        rows = c.execute(
            "SELECT * FROM video_fingerprints WHERE channel=? AND published_at>=? ORDER BY published_at DESC",
            (channel, since.isoformat()),
        ).fetchall()
    return [(r["run_id"], r["published_at"], Fingerprint(video_sha256=r["video_sha256"],
             frame_hashes=json.loads(r["frame_hashes"]), script_text=r["script_text"])) for r in rows]
