"""Layer 5: monetization."""
