"""A stock footage search MCP server over a local catalogue, as a footage vendor might ship one.

``python -m reelcrew.simulators.mcp.stock_footage`` serves it on stdio (official ``mcp`` SDK);
``--http PORT`` serves streamable HTTP at ``http://127.0.0.1:PORT/mcp`` instead, and then every
request needs ``Authorization: Bearer $STOCK_MCP_TOKEN`` (401 otherwise), as a hosted vendor's would.
One tool, ``search_stock_footage(query, limit, orientation)``: clips whose title and tags
share words with the query, best first. The catalogue is ``data/stock_catalogue.json``
beside this file, or the file named by ``STOCK_CATALOGUE``; nothing is downloaded.

Failures a real vendor's server has, for the tests: ``STOCK_DIE_AFTER=N`` makes the process
exit (as a crashed server does) on call number N+1, and ``STOCK_HUGE_RESULT=BYTES`` pads its first
answer with that many bytes of text (a server that answers far more than anyone asked for).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.fastmcp import FastMCP
from pydantic import Field

CATALOGUE = Path(__file__).parent / "data" / "stock_catalogue.json"


def _catalogue() -> list[dict[str, Any]]:
    return json.loads(Path(os.environ.get("STOCK_CATALOGUE") or CATALOGUE).read_text(encoding="utf-8"))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def search(query: str, limit: int = 5, orientation: str = "any") -> list[dict[str, Any]]:
    wanted = _words(query)
    scored = []
    for clip in _catalogue():
        if orientation != "any" and clip.get("orientation") != orientation:
            continue
        score = len(wanted & _words(clip["title"] + " " + " ".join(clip.get("tags", []))))
        if score:
            scored.append((score, clip["id"], clip))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [clip | {"matched_words": score} for score, _, clip in scored[:limit]]


def build_server() -> FastMCP:
    server = FastMCP("stock-footage-sim", instructions="Search a stock footage library by topic words.",
                     log_level="WARNING")  # a stdio server's stderr is its client's terminal
    calls = [0]

    @server.tool(description="Stock footage clips matching a topic, best first: id, title, duration, orientation, "
                             "licence and a preview URL.")
    def search_stock_footage(
        query: Annotated[str, Field(min_length=1, max_length=200, description="Topic words, e.g. 'supermarket aisle'.")],
        limit: Annotated[int, Field(ge=1, le=20)] = 5,
        orientation: Literal["vertical", "horizontal", "any"] = "any",
    ) -> list[dict[str, Any]]:
        calls[0] += 1
        if calls[0] > int(os.environ.get("STOCK_DIE_AFTER") or 10**9):
            sys.stdout.flush()
            os._exit(1)  # the process dies mid-session, no answer, no goodbye
        hits = search(query, limit, orientation)
        pad = int(os.environ.get("STOCK_HUGE_RESULT") or 0)
        if pad and hits and calls[0] == 1:
            hits[0] = hits[0] | {"notes": "budget " * (pad // 7)}
        return hits

    return server


def serve_http(port: int) -> None:
    import uvicorn

    from reelcrew.mcp.http import BearerAuth

    token = os.environ.get("STOCK_MCP_TOKEN", "")
    if not token:
        sys.exit("stock footage simulator: set STOCK_MCP_TOKEN to serve HTTP")
    app = BearerAuth(build_server().streamable_http_app(), token)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        serve_http(int(sys.argv[2]))
    else:
        build_server().run("stdio")
