"""What the agents call, grouped by layer (installed as ``reelcrew.tools``).

- ``store``: the run store (SQLite) every layer writes to.
- ``trends``, ``memory``: layer 1, signal and topic intelligence.
- ``script``: layer 2, the Script model and its checks.
- ``generation``, ``media``: layer 3, providers, dispatch, render, voice, captions, assembly, QA.
- ``publishing``: layer 4, platforms, scheduling, quotas.
- ``monetization``, ``analytics``: layer 5, policy checks and the feedback import.
"""
