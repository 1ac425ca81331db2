"""Agents of the crew, the team, the brains and the approval gates (installed as reelcrew.agents)."""
