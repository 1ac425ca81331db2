"""Layer 5: analytics."""
