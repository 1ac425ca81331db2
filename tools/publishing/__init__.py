"""Layer 4: the local outbox and the YouTube, TikTok and Instagram adapters, scheduling and quotas."""
