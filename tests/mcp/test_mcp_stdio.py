"""`crew mcp` driven by the official MCP client over stdio, as Claude Desktop or an IDE would drive it.

The whole production: list the tools and check their schemas, start a run on the demo channel
(it must answer at once), approve the script, approve the publish, and find the run published
with its video in the outbox. Then: errors come back as tool errors with the CLI's message and
fix, and a server started without --allow refuses approvals that publish or spend.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import anyio
import httpx
import pytest
import yaml
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from reelcrew.tools.store import open_store

TOOLS = {"trends", "memory_query", "import_feedback", "start_production", "run_status", "list_runs", "inbox",
         "approve", "reject", "edit_script", "answer_escalation", "check_video", "costs", "schedule"}


def _params(*allow: str) -> StdioServerParameters:
    args = ["-m", "reelcrew", "mcp"] + [a for name in allow for a in ("--allow", name)]
    # the client passes only a minimal environment by default: CREW_HOME and the render scale must reach the server
    env = {**os.environ, "CREW_RENDER_SCALE": "0.15"}
    return StdioServerParameters(command=sys.executable, args=args, env=env, cwd=os.getcwd())


TOKEN = "test-token-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _http_server(*allow: str, token: str = TOKEN) -> Iterator[str]:
    """`crew mcp --http` in a subprocess; yields its URL once it answers, and stops it afterwards."""
    port = _free_port()
    params = _params(*allow)
    env = {**params.env, "CREW_MCP_TOKEN": token}
    proc = subprocess.Popen([sys.executable, *params.args, "--http", "--port", str(port)], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            try:
                httpx.get(url, timeout=1.0)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the HTTP server did not come up in 60 s"
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err = proc.stderr.read().decode()
        assert "Traceback" not in err, err[-2000:]


@contextlib.asynccontextmanager
async def _http_client(url: str, token: str) -> AsyncIterator[Any]:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"},
                                 timeout=httpx.Timeout(30.0, read=300.0)) as http, \
            streamable_http_client(url, http_client=http) as streams:
        yield streams


@contextlib.asynccontextmanager
async def _session(transport: str, *allow: str) -> AsyncIterator[ClientSession]:
    """A client session over stdio (the server is the client's child) or over streamable HTTP with the token."""
    if transport == "stdio":
        async with stdio_client(_params(*allow)) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            yield session
        return
    with _http_server(*allow) as url:
        async with _http_client(url, TOKEN) as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            yield session


def _data(result: Any) -> Any:
    assert not result.isError, result.content[0].text
    data = result.structuredContent
    if data is None:
        return json.loads(result.content[0].text)
    return data["result"] if set(data) == {"result"} else data


def _error(result: Any) -> str:
    assert result.isError, f"expected a tool error, got {result.content}"
    text = "\n".join(c.text for c in result.content)
    assert "Traceback" not in text and 'File "' not in text, text
    return text


async def _until(session: ClientSession, run_id: str, done, timeout: float = 600.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = _data(await session.call_tool("run_status", {"run_id": run_id}))
        if done(status):
            return status
        assert status["status"] not in ("failed", "rejected"), status
        assert time.monotonic() < deadline, f"run did not get there in {timeout:.0f} s: {status}"
        await anyio.sleep(1.0)


def _gate(name: str):
    return lambda s: not s["working"] and (s["waiting_at"] or {}).get("gate") == name


@pytest.mark.e2e
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_whole_production_over_mcp(transport: str, crew_home: Path) -> None:
    async with _session(transport, "publish", "spend") as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert TOOLS <= set(tools)

        # schemas are precise: types, enums, bounds and required fields, from the pydantic models
        start = tools["start_production"].inputSchema["properties"]
        assert start["channel"]["type"] == "string" and start["channel"]["default"] == "demo"
        assert "outbox" in json.dumps(start["platforms"]) and "youtube" in json.dumps(start["platforms"])
        assert start["new"]["type"] == "boolean"
        assert tools["run_status"].inputSchema["required"] == ["run_id"]
        reject = tools["reject"].inputSchema
        assert set(reject["required"]) == {"run_id", "reason"} and reject["properties"]["reason"]["minLength"] == 1
        limit = tools["trends"].inputSchema["properties"]["limit"]
        assert (limit["minimum"], limit["maximum"]) == (1, 100)
        assert tools["answer_escalation"].inputSchema["properties"]["choice"]["enum"] == ["retry", "new_topic",
                                                                                          "abandon"]
        assert "READ-ONLY" not in tools["approve"].description  # this server was started with both --allow
        assert tools["run_status"].annotations.readOnlyHint is True

        # start answers at once with a run id; the crew works in the background
        began = time.monotonic()
        started = _data(await session.call_tool("start_production", {"channel": "demo"}))
        assert time.monotonic() - began < 30, "start_production must not wait for the video"
        run_id = started["run_id"]
        assert started["started"] is True
        first = _data(await session.call_tool("run_status", {"run_id": run_id}))
        assert first["status"] != "published" and first["video_path"] is None

        at_script = await _until(session, run_id, _gate("script"))
        inbox = _data(await session.call_tool("inbox", {}))
        assert [(g["run_id"], g["gate"]) for g in inbox] == [(run_id, "script")]
        assert inbox[0]["script"]["shots"] and inbox[0]["refused_here"] == {}
        assert at_script["waiting_at"]["choices"] == ["approved", "rejected", "edited"]

        # the script resource is the script waiting at the gate
        script = json.loads((await session.read_resource(f"reelcrew://runs/{run_id}/script")).contents[0].text)
        assert script["script"]["title"] == inbox[0]["script"]["title"]

        if transport == "stdio":
            _data(await session.call_tool("approve", {"run_id": run_id, "reason": "looks good"}))
        else:  # over HTTP the human edits the script instead: the edit is what gets produced
            edited = yaml.safe_load(yaml.safe_dump(inbox[0]["script"]))
            edited["title"] = "Edited over MCP: " + edited["title"][:40]
            _data(await session.call_tool("edit_script", {"run_id": run_id, "script_yaml": yaml.safe_dump(edited),
                                                          "reason": "sharper title"}))
        at_publish = await _until(session, run_id, _gate("publish"))
        if transport == "http":  # the video was made from the edited script
            produced = json.loads((await session.read_resource(f"reelcrew://runs/{run_id}/script")).contents[0].text)
            assert produced["script"]["title"].startswith("Edited over MCP: ") and produced["source"] == "human edit"
        assert at_publish["video_path"] and Path(at_publish["video_path"]).exists()

        # a second approve while the first is being carried out would be refused as busy; here it is the publish gate
        _data(await session.call_tool("approve", {"run_id": run_id}))
        done = await _until(session, run_id, lambda s: not s["working"] and s["status"] == "published")
        assert [u["platform"] for u in done["uploads"]] == ["outbox"]

        runs = _data(await session.call_tool("list_runs", {}))
        assert [(r["run_id"], r["status"]) for r in runs] == [(run_id, "published")]
        assert _data(await session.call_tool("inbox", {})) == []
        publication = json.loads((await session.read_resource(f"reelcrew://runs/{run_id}/publication")
                                  ).contents[0].text)
        assert publication["uploads"][0]["status"] == done["uploads"][0]["status"]
        transcript = json.loads((await session.read_resource(f"reelcrew://runs/{run_id}/transcript")
                                 ).contents[0].text)
        first = "approved" if transport == "stdio" else "edited"
        assert [g["decision"] for g in transcript["gates"]] == [first, "approved"]

        check = _data(await session.call_tool("check_video", {"path": done["video_path"]}))
        assert "checks" in check and isinstance(check["failures"], list)

    # the outbox holds the video and its metadata; the background processes have all ended
    posts = list((crew_home / "outbox" / "demo").glob("*/metadata.json"))
    assert len(posts) == 1 and json.loads(posts[0].read_text())["title"]
    assert list(posts[0].parent.glob("*.mp4"))
    assert open_store().list_runs(unfinished=True) == []


def _waiting_run(gate: str, subject: str) -> str:
    """A run waiting at a gate, written straight to the store (no crew needed to test the guard)."""
    store = open_store()
    run_id = store.create_run("demo", {"platforms": ["outbox"]})
    store.open_gate(run_id, gate, subject=subject, summary=f"{subject} ready")
    store.update_run(run_id, status="awaiting_approval")
    return run_id


async def test_without_allow_approvals_that_publish_or_spend_are_refused(crew_home: Path) -> None:
    publish_run = _waiting_run("publish", "video:v1")
    async with stdio_client(_params()) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert "READ-ONLY" in tools["approve"].description and "--allow publish" in tools["approve"].description
        assert tools["approve"].annotations.readOnlyHint is True
        assert "READ-ONLY" in tools["answer_escalation"].description
        assert "READ-ONLY for spend" in tools["edit_script"].description

        inbox = _data(await session.call_tool("inbox", {}))
        assert inbox[0]["refused_here"] == {"approved": "needs `crew mcp --allow publish`"}
        text = _error(await session.call_tool("approve", {"run_id": publish_run}))
        assert "read-only for publish" in text and "fix: restart it with `crew mcp --allow publish`" in text
    # nothing was decided, nothing started
    assert open_store().pending_gate(publish_run) is not None
    assert not (crew_home / "mcp-logs").exists()


async def test_allow_publish_alone_still_refuses_to_spend(crew_home: Path) -> None:
    script_run = _waiting_run("script", "script:v1")
    async with stdio_client(_params("publish")) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert "READ-ONLY for spend" in tools["approve"].description
        text = _error(await session.call_tool("approve", {"run_id": script_run}))
        assert "read-only for spend" in text and "--allow spend" in text
    assert open_store().pending_gate(script_run) is not None


async def test_errors_come_back_as_tool_errors_with_the_cli_message_and_fix(crew_home: Path, tmp_path: Path) -> None:
    not_a_video = tmp_path / "notes.mp4"
    not_a_video.write_text("not a video")
    published = open_store().create_run("demo", {"platforms": ["outbox"]})
    async with stdio_client(_params("publish", "spend")) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        text = _error(await session.call_tool("run_status", {"run_id": "no-such-run"}))
        assert "no run 'no-such-run'" in text and "fix: list_runs lists runs" in text

        text = _error(await session.call_tool("trends", {"channel": "no-such-channel"}))
        assert "no-such-channel" in text and "fix:" in text

        text = _error(await session.call_tool("check_video", {"path": str(not_a_video)}))
        assert "notes.mp4" in text

        text = _error(await session.call_tool("approve", {"run_id": published}))
        assert "not waiting at a gate" in text and "fix: run_status shows where it stands" in text

        # arguments outside the schema are refused before any work
        _error(await session.call_tool("trends", {"limit": 0}))
        _error(await session.call_tool("reject", {"run_id": published, "reason": ""}))

        text = _error(await session.call_tool("answer_escalation", {"run_id": published, "choice": "retry"}))
        assert "not waiting at a gate" in text

        text = _error(await session.call_tool("edit_script", {"run_id": published, "script_yaml": "title: [unclosed"}))
        assert "the edited script is not valid YAML" in text and "fix:" in text
        text = _error(await session.call_tool("edit_script", {"run_id": published, "script_yaml": "title: x\n"}))
        assert "the edited script is invalid" in text and "fix: fix that field and save again" in text
    assert not (crew_home / "mcp-logs").exists()  # no error started a background process


def test_crew_mcp_refuses_an_unknown_allow_without_a_traceback(crew_home: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "reelcrew", "mcp", "--allow", "everything"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "unknown --allow everything" in proc.stderr and "fix: use --allow publish or --allow spend" in proc.stderr
    assert "Traceback" not in proc.stderr


async def test_http_needs_the_bearer_token(crew_home: Path) -> None:
    with _http_server() as url:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN}):
            refused = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                 headers={**headers, "Accept": "application/json, text/event-stream"})
            assert refused.status_code == 401, (headers, refused.status_code)
            assert TOKEN not in refused.text
        with pytest.raises(Exception):  # the official client cannot even initialise with a wrong token
            with anyio.fail_after(30):
                async with _http_client(url, "wrong") as (r, w, _), ClientSession(r, w) as session:
                    await session.initialize()
        async with _http_client(url, TOKEN) as (r, w, _), ClientSession(r, w) as session:
            await session.initialize()
            assert TOOLS <= {t.name for t in (await session.list_tools()).tools}
            text = _error(await session.call_tool("run_status", {"run_id": "no-such-run"}))
            assert "no run 'no-such-run'" in text and "fix: list_runs lists runs" in text


@pytest.mark.parametrize("args, env, expected", [
    (["--http", "--host", "0.0.0.0"], {"CREW_MCP_TOKEN": TOKEN}, "refusing to serve MCP on 0.0.0.0"),
    (["--http"], {"CREW_MCP_TOKEN": ""}, "CREW_MCP_TOKEN is not set"),
    (["--http"], {"CREW_MCP_TOKEN": "q7Zx-9k"}, "CREW_MCP_TOKEN is too short"),
    (["--port", "9000"], {}, "--host, --port and --allow-remote-bind go with --http"),
])
def test_http_refuses_a_remote_bind_or_a_missing_token(args: list[str], env: dict[str, str], expected: str,
                                                       crew_home: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "reelcrew", "mcp", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert expected in proc.stderr and "fix:" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
