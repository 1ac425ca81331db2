"""Local simulators of the generation vendors' real protocols (issue 6).

Each is a plain ASGI app: hand it to ``httpx.ASGITransport`` in tests, or serve it on
127.0.0.1 with ``python -m reelcrew.simulators.vendors serve runway --port 8801``.
"""

from reelcrew.simulators.vendors.elevenlabs import ElevenLabsSim
from reelcrew.simulators.vendors.heygen import HeyGenSim
from reelcrew.simulators.vendors.kling import KlingSim
from reelcrew.simulators.vendors.luma import LumaSim
from reelcrew.simulators.vendors.runway import RunwaySim

SIMULATORS = {"runway": RunwaySim, "kling": KlingSim, "luma": LumaSim, "heygen": HeyGenSim,
              "elevenlabs": ElevenLabsSim}

__all__ = ["SIMULATORS", "ElevenLabsSim", "HeyGenSim", "KlingSim", "LumaSim", "RunwaySim"]
