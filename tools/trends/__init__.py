"""Layer 1: trend signals from real feed formats, normalised into TrendSignal."""
