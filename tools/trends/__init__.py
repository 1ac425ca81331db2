"""Layer 1: trend signals from real feed formats, normalised into TrendSignal.

``read_trends(channel)`` reads every source a channel lists (YouTube mostPopular JSON,
Reddit listing JSON, Google Trends RSS, RSS 2.0/Atom, CSV) from a file or URL and
returns a deduplicated ``TrendBatch``; ``read_feed`` reads one source strictly.
"""

from reelcrew.tools.trends.fetch import FeedFetcher
from reelcrew.tools.trends.models import SkippedItem, TrendBatch, TrendSignal
from reelcrew.tools.trends.reader import read_feed, read_trends

__all__ = ["FeedFetcher", "SkippedItem", "TrendBatch", "TrendSignal", "read_feed", "read_trends"]
