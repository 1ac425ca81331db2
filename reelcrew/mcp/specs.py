"""How a channel file names an outside MCP server (``mcp_servers:``): kept free of heavy imports,
because the channel config loads it."""

from __future__ import annotations

import os
import shlex
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reelcrew.errors import ConfigError
from reelcrew.redaction import register_secret


AgentName = Literal["Researcher", "Scriptwriter", "Dispatcher", "QAValidator", "Publisher"]  # agents.flow.AGENTS


class McpServerSpec(BaseModel):
    """One outside MCP server, as a channel file names it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_-]+$")
    command: str | None = Field(None, description="A command line that serves MCP on stdio.")
    url: str | None = Field(None, description="A streamable HTTP endpoint, e.g. http://127.0.0.1:8765/mcp.")
    token_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,80}$",
                                  description="Name of the environment variable holding the URL's bearer token "
                                              "(the name, never the token itself).")
    agents: list[AgentName] = Field(default_factory=lambda: ["Researcher"], min_length=1)
    required: bool = False
    start_timeout_s: float = Field(15.0, gt=0, le=120)
    call_timeout_s: float = Field(30.0, gt=0, le=300, description="Deadline for one tool call.")

    @field_validator("command")
    @classmethod
    def _command_parses(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            argv = shlex.split(v)
        except ValueError as exc:
            raise ValueError(f"`command` is not a valid command line ({exc})") from None
        if not argv:
            raise ValueError("`command` is empty: give the command line that serves MCP on stdio")
        return v

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"`url` must be an http(s) URL such as http://127.0.0.1:8765/mcp, not {v[:80]!r}")
        if parts.username or parts.password:
            raise ValueError("`url` must not carry credentials: put the token in an environment variable and "
                             "name it in `token_env`")
        return v

    @field_validator("agents")
    @classmethod
    def _agents_unique(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSpec:
        if (self.command is None) == (self.url is None):
            raise ValueError(f"MCP server {self.name!r} needs exactly one of `command` or `url`")
        if self.token_env and self.url is None:
            raise ValueError(f"MCP server {self.name!r}: `token_env` goes with `url` (a stdio server gets the "
                             f"environment instead)")
        return self

    def params(self) -> Any:
        from autogen_ext.tools.mcp import StdioServerParams, StreamableHttpServerParams

        if self.command is not None:
            argv = shlex.split(self.command)
            return StdioServerParams(command=argv[0], args=argv[1:], env=dict(os.environ),
                                     read_timeout_seconds=self.start_timeout_s)
        headers = {}
        if self.token_env:
            token = os.environ.get(self.token_env, "")
            if not token:
                raise ConfigError(f"MCP server {self.name!r}: {self.token_env} is not set",
                                  hint=f"export {self.token_env}=... (the server's bearer token)")
            register_secret(token)
            headers["Authorization"] = f"Bearer {token}"
        return StreamableHttpServerParams(url=self.url, headers=headers, timeout=self.start_timeout_s)
