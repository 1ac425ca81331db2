"""The channel's performance memory: one Chroma collection per channel, one record per published video.

Each record's document is the video's topic and hook (what a new trend is compared with); the
full ``VideoRecord`` rides along as JSON metadata, with a few flat fields (publish
time, platform, run id) that Chroma can filter on. The collection uses cosine space,
so a similarity is ``1 - distance``. Chroma answers every query with k items however
unrelated they are, so ``query`` drops anything under a similarity threshold.

Chroma is local and persistent under ``CREW_HOME/chroma`` by default; set
``CREW_CHROMA_URL`` (e.g. ``http://localhost:8000``) to use a Chroma server instead.
Chroma calls are synchronous; the crew runs tools in worker threads.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from reelcrew import clock
from reelcrew.errors import ConfigError, InputError
from reelcrew.settings import Settings, get_settings
from reelcrew.tools.memory.embedding import MiniLMEmbedding, chroma_default_embedding, embed_texts
from reelcrew.tools.memory.models import Performance, VideoRecord

_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
_NO_TIME = -1.0
_ID_CHUNK = 500


@dataclass(frozen=True)
class MemorySnapshot:
    """Every record of a channel with its unit vector (row i of ``vectors`` is ``records[i]``)."""

    records: list[VideoRecord]
    vectors: np.ndarray


def _document(record: VideoRecord) -> str:
    """What a record is embedded as: its topic and hook (the hook says what the video is really about)."""
    return f"{record.topic}. {record.hook}" if record.hook else record.topic


def _metadata(record: VideoRecord) -> dict[str, Any]:
    ts = record.published_at.timestamp() if record.published_at else _NO_TIME
    return {
        "record": record.model_dump_json(),
        "published_ts": float(ts),
        "platform": record.platform,
        "run_id": record.run_id or "",
    }


def _record(meta: dict[str, Any] | None) -> VideoRecord:
    return VideoRecord.model_validate_json((meta or {})["record"])


class PerformanceMemory:
    """Read and write one channel's video records; every write is an idempotent upsert by video id."""

    def __init__(self, channel: str, collection: Any, embed: Callable[[list[str]], np.ndarray] = embed_texts) -> None:
        self.channel = channel
        self._col = collection
        self._embed = embed

    # -- writes ---------------------------------------------------------------
    def add(self, record: VideoRecord) -> None:
        """Insert or replace the record with this video_id (adding twice changes nothing)."""
        self.add_many([record])

    def add_many(self, records: list[VideoRecord]) -> None:
        """Upsert many records in one call, so an import is written whole or not at all."""
        if not records:
            return
        for r in records:
            if r.channel != self.channel:
                raise InputError(f"record {r.video_id} belongs to channel {r.channel!r}, not {self.channel!r}")
        last = {r.video_id: r for r in records}  # a repeated id: the later row wins
        recs = list(last.values())
        self._col.upsert(
            ids=[r.video_id for r in recs],
            documents=[_document(r) for r in recs],
            embeddings=list(self._embed([_document(r) for r in recs])),
            metadatas=[_metadata(r) for r in recs],
        )

    def update_performance(self, video_id: str, perf: Performance) -> bool:
        """Replace a video's figures; False when memory has no such video (nothing written)."""
        return bool(self.update_performance_many({video_id: perf}))

    def update_performance_many(self, perfs: dict[str, Performance]) -> list[str]:
        """Replace several videos' figures in one write; returns the ids that existed and were updated."""
        records = self.get_many(list(perfs))
        updated = [records[vid].model_copy(update={"performance": perfs[vid]}) for vid in perfs if vid in records]
        for i in range(0, len(updated), _ID_CHUNK):
            part = updated[i : i + _ID_CHUNK]
            self._col.update(ids=[r.video_id for r in part], metadatas=[_metadata(r) for r in part])
        return [r.video_id for r in updated]

    # -- reads ----------------------------------------------------------------
    def get(self, video_id: str) -> VideoRecord | None:
        got = self._col.get(ids=[video_id], include=["metadatas"])
        return _record(got["metadatas"][0]) if got["ids"] else None

    def get_many(self, video_ids: list[str]) -> dict[str, VideoRecord]:
        """The records that exist among ``video_ids``, by id (one Chroma call)."""
        ids = list(dict.fromkeys(video_ids))
        out: dict[str, VideoRecord] = {}
        for i in range(0, len(ids), _ID_CHUNK):  # Chroma's SQLite refuses too many variables in one query
            got = self._col.get(ids=ids[i : i + _ID_CHUNK], include=["metadatas"])
            out.update({vid: _record(m) for vid, m in zip(got["ids"], got["metadatas"])})
        return out

    def count(self) -> int:
        return int(self._col.count())

    def all(self) -> list[VideoRecord]:
        """Every record, oldest first (ties by id), so output is stable."""
        got = self._col.get(include=["metadatas"])
        return _sorted([_record(m) for m in got["metadatas"]])

    def by_run(self, run_id: str) -> list[VideoRecord]:
        got = self._col.get(where={"run_id": run_id}, include=["metadatas"])
        return _sorted([_record(m) for m in got["metadatas"]])

    def recent(self, days: int, now: datetime | None = None) -> list[VideoRecord]:
        """Videos published in the last ``days`` days (before ``now``)."""
        now = now or clock.now()
        cutoff = (now - timedelta(days=days)).timestamp()
        got = self._col.get(
            where={"$and": [{"published_ts": {"$gte": cutoff}}, {"published_ts": {"$lte": now.timestamp()}}]},
            include=["metadatas"],
        )
        return _sorted([_record(m) for m in got["metadatas"]])

    def query(self, text: str, k: int = 5, min_similarity: float = 0.3) -> list[tuple[VideoRecord, float]]:
        """The nearest past videos to ``text`` with cosine similarity, best first, above the threshold."""
        return self.query_many([text], k=k, min_similarity=min_similarity)[0]

    def query_many(
        self, texts: list[str], k: int = 5, min_similarity: float = 0.3
    ) -> list[list[tuple[VideoRecord, float]]]:
        """``query`` for several texts with one embedding batch and one Chroma call."""
        n = self.count()
        if not texts:
            return []
        if n == 0 or k <= 0:
            return [[] for _ in texts]
        res = self._col.query(
            query_embeddings=list(self._embed(texts)), n_results=min(k, n), include=["metadatas", "distances"]
        )
        out: list[list[tuple[VideoRecord, float]]] = []
        for metas, dists in zip(res["metadatas"], res["distances"]):
            hits = [(_record(m), round(1.0 - float(d), 4)) for m, d in zip(metas, dists)]
            hits = [h for h in hits if h[1] >= min_similarity]
            out.append(sorted(hits, key=lambda h: (-h[1], h[0].video_id)))
        return out

    def snapshot(self) -> MemorySnapshot:
        """All records and their stored vectors in one call (ranking works on this)."""
        got = self._col.get(include=["metadatas", "embeddings"])
        pairs = sorted(
            ((_record(m), np.asarray(e, dtype=np.float32)) for m, e in zip(got["metadatas"], got["embeddings"])),
            key=lambda p: _order(p[0]),
        )
        vectors = np.vstack([p[1] for p in pairs]) if pairs else np.zeros((0, 384), dtype=np.float32)
        return MemorySnapshot(records=[p[0] for p in pairs], vectors=vectors)

    def stats(self) -> dict[str, Any]:
        """Counts and averages for ``crew memory stats``."""
        records = self.all()
        perfs = [r.performance for r in records]
        avds = [p.avg_view_duration_s for p in perfs if p.avg_view_duration_s is not None]
        rpms = [p.rpm_usd for p in perfs if p.rpm_usd is not None and p.revenue_usd > 0]
        dated = [r.published_at for r in records if r.published_at]
        platforms: dict[str, int] = {}
        for r in records:
            platforms[r.platform] = platforms.get(r.platform, 0) + 1
        return {
            "channel": self.channel,
            "videos": len(records),
            "platforms": platforms,
            "with_performance": sum(1 for p in perfs if p.views > 0),
            "total_views": sum(p.views for p in perfs),
            "mean_avd_s": round(float(np.mean(avds)), 2) if avds else None,
            "mean_rpm_usd": round(float(np.mean(rpms)), 2) if rpms else None,
            "total_revenue_usd": round(sum(p.revenue_usd for p in perfs), 2),
            "first_published": min(dated).isoformat() if dated else None,
            "last_published": max(dated).isoformat() if dated else None,
        }


def _order(r: VideoRecord) -> tuple[float, str]:
    return (r.published_at.timestamp() if r.published_at else _NO_TIME, r.video_id)


def _sorted(records: list[VideoRecord]) -> list[VideoRecord]:
    return sorted(records, key=_order)


def collection_name(channel: str) -> str:
    return f"performance-{channel}"


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if settings.chroma_url:
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        parts = urlsplit(settings.chroma_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"CREW_CHROMA_URL is not an http(s) URL: {settings.chroma_url!r}",
                              hint="e.g. http://localhost:8000, or unset it to use the local folder")
        try:
            return chromadb.HttpClient(host=parts.hostname, port=parts.port or (443 if parts.scheme == "https" else 8000),
                                       ssl=parts.scheme == "https", settings=chroma_settings)
        except Exception as exc:  # chromadb raises plain exceptions when the server is unreachable
            raise ConfigError(f"cannot reach the Chroma server at {parts.scheme}://{parts.netloc}: {exc}",
                              hint="start the server, or unset CREW_CHROMA_URL to use the local folder") from None
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    # one client per folder and process: each production opens memory (ranking, publishing, the analytics
    # pull), and making a client costs ~0.1 s of CPU; a folder removed and made again gets a new client
    key = (str(settings.chroma_dir.resolve()), settings.chroma_dir.stat().st_ino)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = chromadb.PersistentClient(path=str(settings.chroma_dir),
                                               settings=ChromaSettings(anonymized_telemetry=False))
            _clients[key] = client
    return client


_clients: dict[tuple[str, int], Any] = {}
_clients_lock = threading.Lock()


def open_memory(channel: str, settings: Settings | None = None, *, embedding: str = "minilm") -> PerformanceMemory:
    """The performance memory of ``channel`` (created empty on first use).

    ``embedding="minilm"`` (the default) works offline. ``"chroma-default"`` uses
    Chroma's own embedding, which downloads its model on first use (online only); it
    keeps a separate collection, because Chroma pins a collection to one embedding.
    """
    if not _CHANNEL.match(channel or ""):
        raise InputError(f"not a valid channel name: {channel!r}", hint="lowercase letters, digits, - and _")
    if embedding not in ("minilm", "chroma-default"):
        raise InputError(f"unknown embedding {embedding!r}", hint="use minilm (offline) or chroma-default")
    settings = settings or get_settings()
    client = _client(settings)
    if embedding == "chroma-default":
        ef = chroma_default_embedding()
        name = collection_name(channel) + "-chroma-default"
        embed: Callable[[list[str]], np.ndarray] = lambda texts: np.asarray(ef(texts), dtype=np.float32)  # noqa: E731
    else:
        ef, name, embed = MiniLMEmbedding(), collection_name(channel), embed_texts
    collection = client.get_or_create_collection(
        name=name,
        embedding_function=ef,
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"channel": channel, "document": "topic. hook"},
    )
    return PerformanceMemory(channel, collection, embed)
