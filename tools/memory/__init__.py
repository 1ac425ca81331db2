"""Layer 1 and 5: the channel's performance memory in Chroma, and topic ranking against it.

``open_memory(channel)`` gives a ``PerformanceMemory`` (one Chroma collection per
channel, offline MiniLM embeddings); ``import_history`` loads past videos into it;
``ranking.rank_topics`` scores trend signals against it.
"""

from reelcrew.tools.memory.history import import_history
from reelcrew.tools.memory.models import ImportReport, Performance, RankedTopic, SimilarVideo, VideoRecord
from reelcrew.tools.memory.store import MemorySnapshot, PerformanceMemory, open_memory

__all__ = [
    "ImportReport", "MemorySnapshot", "Performance", "PerformanceMemory", "RankedTopic", "SimilarVideo",
    "VideoRecord", "import_history", "open_memory",
]
