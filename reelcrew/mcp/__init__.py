"""ReelCrew and the Model Context Protocol (issue 14).

- ``server``: ``crew mcp``, the crew's commands as MCP tools and its records as resources (stdio).
- ``http``: the same server over streamable HTTP on 127.0.0.1 behind a bearer token.
- ``worker``: the background process that drives a run a tool started, so no tool waits for a video.
- ``specs`` and ``outside``: outside MCP servers a channel names for its agents (McpWorkbench).

Nothing is imported here: the channel config imports ``specs`` and must not pull in the server.
"""
