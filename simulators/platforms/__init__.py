"""Local simulators of the publishing platforms' real protocols (YouTube, TikTok, Instagram).

Each is a plain ASGI app: use it in-process with ``httpx.ASGITransport`` (async) or
``SyncASGITransport`` (the adapters are synchronous), or serve it on 127.0.0.1 with
``python -m reelcrew.simulators.platforms serve youtube --port 8811``. They speak the
protocol including its failures (interruptions, 308s, expired sessions, quota errors,
rate limits, moderation delays) and count posts so tests can assert exactly one.
"""

from reelcrew.simulators.platforms.asgi import Faults, HostRouter, SyncASGITransport
from reelcrew.simulators.platforms.instagram import InstagramSimulator
from reelcrew.simulators.platforms.tiktok import TikTokSimulator
from reelcrew.simulators.platforms.youtube import YouTubeSimulator

SIMULATORS = {"youtube": YouTubeSimulator, "tiktok": TikTokSimulator, "instagram": InstagramSimulator}

__all__ = ["Faults", "HostRouter", "InstagramSimulator", "SIMULATORS", "SyncASGITransport", "TikTokSimulator", "YouTubeSimulator"]
