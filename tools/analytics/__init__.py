"""Layer 5: analytics. ``import_feedback`` reads a YouTube Studio CSV, a YouTube Analytics
API report or Instagram insights and writes the figures back into performance memory
and the run store, so the next ranking learns from them."""

from reelcrew.tools.analytics.feedback import import_feedback, read_feedback
from reelcrew.tools.analytics.models import FeedbackReport, FeedbackRow

__all__ = ["FeedbackReport", "FeedbackRow", "import_feedback", "read_feedback"]
