"""The run store: one SQLite database under ``CREW_HOME`` holding every run's data.

The conversation carries ids and summaries; this store carries the data (ranked
topics, scripts, videos, reports, gate decisions, team state, attempts, assets,
ledger entries, uploads). See ``migrations.py`` for the schema.
"""

from reelcrew.tools.store.runstore import Gate, RunRecord, RunStore, open_store

__all__ = ["Gate", "RunRecord", "RunStore", "open_store"]
