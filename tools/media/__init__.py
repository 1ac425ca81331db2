"""Layer 3: local shot rendering, Piper voice, captions, assembly and the QA checks."""
