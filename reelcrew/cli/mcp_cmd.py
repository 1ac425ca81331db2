"""``crew mcp``: serve the crew to an MCP client (Claude Desktop, an IDE, another agent) on stdio or HTTP."""

from __future__ import annotations

from typing import List, Optional

import typer

from reelcrew.errors import InputError


def mcp(
    allow: Optional[List[str]] = typer.Option(
        None, "--allow", help="Enable an action the tools otherwise refuse: `publish` (approve a publish gate) or "
                              "`spend` (approve a script, budget or escalation, which lets the crew pay for "
                              "generation). Repeat for both."),
    http: bool = typer.Option(False, "--http", help="Serve streamable HTTP (at /mcp) instead of stdio; every request "
                              "needs `Authorization: Bearer $CREW_MCP_TOKEN`."),
    host: str = typer.Option("127.0.0.1", "--host", help="With --http: the address to listen on (loopback only "
                             "unless --allow-remote-bind)."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="With --http: the port."),
    allow_remote_bind: bool = typer.Option(False, "--allow-remote-bind", help="With --http: allow a non-loopback "
                                           "--host (the token is then all that protects it)."),
) -> None:
    """Serve ReelCrew as an MCP server on stdio (or --http on 127.0.0.1 with a bearer token): trends, start a production, run status, the inbox of gates,
    approve/reject, check a video, costs, schedule, memory; transcripts, scripts, QA reports and publications
    as resources. Without --allow, approvals that publish or spend are refused (the tools say so)."""
    from reelcrew.mcp.server import ALLOWABLE, build_server, run_stdio

    chosen = {a.strip().lower() for item in (allow or []) for a in item.split(",") if a.strip()}
    bad = chosen - set(ALLOWABLE)
    if bad:
        raise InputError(f"unknown --allow {', '.join(sorted(bad))}", where="crew mcp",
                         hint=f"use --allow {' or --allow '.join(ALLOWABLE)}")
    if not http and (host != "127.0.0.1" or port != 8765 or allow_remote_bind):
        raise InputError("--host, --port and --allow-remote-bind go with --http", where="crew mcp",
                         hint="add --http, or leave them out for stdio")
    build_server(chosen)  # fail here, before the protocol starts, on a bad configuration
    if http:
        from reelcrew.mcp.http import run_http

        run_http(chosen, host, port, allow_remote=allow_remote_bind)
    else:
        run_stdio(chosen)


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)
