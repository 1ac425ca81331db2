"""ReelCrew: a crew of AutoGen agents that runs a faceless short-video channel end to end.

The folders of the repository install under this one namespace:
``agents/`` is ``reelcrew.agents``, ``tools/`` is ``reelcrew.tools``,
``simulators/`` is ``reelcrew.simulators``.
"""

__version__ = "0.1.0"
