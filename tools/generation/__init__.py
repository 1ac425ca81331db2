"""Layer 3: clip and voice providers (local, Runway, Kling, Luma, HeyGen, ElevenLabs) and dispatch."""
