"""Local MCP servers that stand in for vendors' MCP servers in tests and the README."""
