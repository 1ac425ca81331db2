"""Layer 5: analytics. ``import_feedback`` reads a YouTube Studio CSV, a YouTube Analytics
API report, a TikTok video query or Instagram insights and writes the figures back into
performance memory and the run store, so the next ranking learns from them.

``pull.pull_channel_analytics`` asks the platforms' analytics APIs for the same figures
(``platform_stats``) and imports them the same way (the autopilot's scheduled learning);
``report`` builds ``crew report`` (``report_html``: its one-page HTML)."""

from reelcrew.tools.analytics.feedback import import_feedback, read_feedback
from reelcrew.tools.analytics.models import FeedbackReport, FeedbackRow

__all__ = ["FeedbackReport", "FeedbackRow", "import_feedback", "read_feedback"]
