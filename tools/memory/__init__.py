"""Layer 1 and 5: the channel's performance memory in Chroma, and topic ranking against it."""
