"""Http and AsyncHttp: every outside request goes through here.

What each request gets, whoever makes it:

- the URL is checked against the service's ``HostPolicy`` before anything is sent,
  and so is every redirect (followed by hand, at most ``MAX_REDIRECTS`` hops);
- credential headers (and secret-named query parameters) are only sent to the
  origins the credential was issued for; elsewhere they are dropped or refused;
- the body is read in chunks with a cap (declared ``Content-Length`` refused up front,
  actual bytes counted as they come, a gzip/deflate body inflated step by step within the cap) and an overall deadline on a monotonic clock that
  no step outlives: the async client is cancelled at the deadline, the sync client's
  sockets obey it (``deadline``: each operation bounded by what is left, and shut at the end);
- a timeout, a dropped connection, a body over the cap or a deadline passed become a
  ``NetError`` of class transient (codes timeout, network, too_large, deadline); an
  off-host URL becomes ``UntrustedHost`` (bad_output, never followed).

The returned ``httpx.Response`` is fully read (``.json()``/``.text`` work) and is
never larger than the cap. ``body_text`` gives its text scrubbed of every known
secret and shortened, ready to become error text.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from functools import lru_cache
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import urljoin, urlsplit

import httpx

from reelcrew.errors import CrewError, FailureClass
from reelcrew.redaction import is_secret_name, scrub
from reelcrew.tools.net.cassette import TAPE, response as cassette_response
from reelcrew.tools.net.deadline import DeadlineTransport, call_deadline
from reelcrew.tools.net.hosts import HostPolicy, UntrustedHost
from reelcrew.tools.net.limits import Limits
from reelcrew.tools.net.retry import parse_retry_after

MAX_REDIRECTS = 3
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key", "xi-api-key", "api-key",
                      "x-goog-api-key"}
_DROP_ON_REBUILD = {"content-encoding", "content-length", "transfer-encoding"}


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """One verified TLS context for every client: building one costs ~0.2 s, so it is made once."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class NetError(CrewError):
    """An outside call that did not complete: timed out, dropped, too big, or past its deadline."""

    exit_code = 3
    default_failure = FailureClass.TRANSIENT


# A live re-run (``reelcrew.replay``) must never reach a real vendor or platform: while it runs, a request the
# recording's tape does not answer (tools/net/cassette.py) is refused here, before anything is sent, and the re-run
# hears of it. Process-wide, not a context variable: a safety net whatever thread or task makes the request.
_REFUSE: list[Callable[[str, str], None]] = []


@contextmanager
def outside_calls_refused(heard: Callable[[str, str], None]) -> Iterator[None]:
    """Within the block no request leaves the process: ``heard(method, url)`` is told, then a ``NetError``
    (class config, so nothing retries it) stops the call."""
    _REFUSE.append(heard)
    try:
        yield
    finally:
        _REFUSE.remove(heard)


def _refused(method: str, url: str, service: str) -> None:
    if not _REFUSE:
        return
    _REFUSE[-1](method, url)
    raise NetError(f"a re-run makes no outside HTTP call the recording does not hold ({method} {scrub(url)[:120]})",
                   code="replay", failure=FailureClass.CONFIG, where=service,
                   hint="record the run again (`crew replay --rerun --update`) if the new request is intended")


@dataclass
class Service:
    """One outside service: its name, base URL, allowed hosts and credential."""

    name: str
    base_url: str = ""
    hosts: tuple[str, ...] = ()          # https host suffixes its answers may point at
    extra_base_urls: tuple[str, ...] = ()  # other base URLs of the same service (token endpoint, upload base)
    credential: dict[str, str] = field(default_factory=dict, repr=False)  # headers sent to its own origins only

    def policy(self) -> HostPolicy:
        return HostPolicy(self.name, self.hosts, (self.base_url, *self.extra_base_urls))


def body_text(response: httpx.Response, limit: int = 300) -> str:
    """A response body as quoted, scrubbed, length-limited data, fit for an error message."""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        text = "<unreadable body>"
    text = scrub(" ".join(text.split()))
    if len(text) > limit:
        text = text[:limit] + "..."
    return repr(text)


ACCEPT_ENCODING = "gzip, deflate"  # what we can decode with a bound; httpx would also offer br/zstd if installed


class _Body:
    """The body as it arrives: raw bytes decoded here (not by httpx) so that a compressed answer
    can never expand past the cap in memory. httpx would inflate a whole 64 KiB read at once, and
    64 KiB of gzip holds 64 MiB; here each step yields at most what is left under the cap, plus one byte."""

    def __init__(self, exchange: "_Exchange", encoding: str | None, cap: int, sink: BinaryIO | None) -> None:
        self.x, self.cap, self.sink = exchange, cap, sink
        self.size, self.buf = 0, bytearray()
        coding = (encoding or "identity").strip().lower()
        if coding in ("identity", ""):
            self.z: Any = None
        elif coding in ("gzip", "x-gzip"):
            self.z = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif coding == "deflate":
            self.z = "deflate"  # zlib-wrapped or raw: decided by the first bytes
        else:
            raise NetError(f"{exchange.service.name} sent a body in an encoding it was not offered "
                           f"({coding[:40]!r}); not read", code="encoding", failure=FailureClass.BAD_OUTPUT,
                           where=exchange.service.name)

    def feed(self, data: bytes) -> None:
        if self.z is None:
            self._take(data)
            return
        if self.z == "deflate":
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0
            self.z = zlib.decompressobj() if wrapped else zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            while data:
                out = self.z.decompress(data, self.cap - self.size + 1)
                self._take(out)
                data = self.z.unconsumed_tail
        except zlib.error:
            raise NetError(f"{self.x.service.name} sent a body that does not decompress", code="encoding",
                           where=self.x.service.name) from None

    def finish(self) -> bytes:
        if self.z is not None and self.z != "deflate":
            try:
                self._take(self.z.flush())
            except zlib.error:
                raise NetError(f"{self.x.service.name} sent a body that does not decompress", code="encoding",
                               where=self.x.service.name) from None
        return bytes(self.buf)

    def _take(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size > self.cap:
            raise self.x.over(self.size, self.cap)
        if self.sink is not None:
            self.sink.write(piece)
        else:
            self.buf.extend(piece)


class _Exchange:
    """What the sync and async clients share: URL and header decisions, caps, the deadline."""

    def __init__(self, service: Service, limits: Limits | None) -> None:
        self.service = service
        self.policy = service.policy()
        self.limits = limits or Limits.from_settings()

    def absolute(self, url: str) -> str:
        if urlsplit(url).scheme:
            return url
        return self.service.base_url.rstrip("/") + "/" + url.lstrip("/")

    def headers_for(self, url: str, headers: Mapping[str, str] | None) -> dict[str, str]:
        merged = {"Accept-Encoding": ACCEPT_ENCODING, **self.service.credential, **(headers or {})}
        if self.policy.may_send_credentials(url):
            return merged
        secret_names = {k.lower() for k in self.service.credential} | CREDENTIAL_HEADERS
        return {k: v for k, v in merged.items() if k.lower() not in secret_names}

    def check(self, url: str, params: Any, what: str) -> None:
        self.policy.check(url, what)
        if params and not self.policy.may_send_credentials(url):
            names = params.keys() if isinstance(params, Mapping) else [p[0] for p in params]
            if any(is_secret_name(str(n)) for n in names):
                raise UntrustedHost(self.service.name, url, "URL for a credential in the query")

    def budget(self, media: bool, max_bytes: int | None, deadline_s: float | None) -> tuple[int, float]:
        cap = max_bytes if max_bytes is not None else (self.limits.max_media if media else self.limits.max_body)
        seconds = deadline_s if deadline_s is not None else (
            self.limits.media_deadline_s if media else self.limits.deadline_s)
        return cap, seconds

    def timeout(self, remaining: float) -> httpx.Timeout:
        remaining = max(remaining, 0.001)
        return httpx.Timeout(connect=min(10.0, remaining), read=min(self.limits.read_timeout_s, remaining),
                             write=remaining, pool=min(10.0, remaining))

    def next_hop(self, method: str, url: str, resp: httpx.Response) -> tuple[str, str] | None:
        if not resp.is_redirect or "location" not in resp.headers:
            return None
        target = urljoin(url, resp.headers["location"])
        self.policy.check(target, "redirect")
        if resp.status_code == 303 or (resp.status_code in (301, 302) and method != "HEAD"):
            method = "GET"
        return method, target

    @staticmethod
    def encoding(resp: httpx.Response) -> str | None:
        """The body's content coding; none for a response an in-process transport built already read
        (httpx has decoded it, and it came from no server)."""
        return None if resp.is_stream_consumed else resp.headers.get("content-encoding")

    def too_large(self, declared: str | None, cap: int) -> None:
        if declared and declared.strip().isdigit() and int(declared) > cap:
            raise NetError(f"{self.service.name} declared a {int(declared):,} byte body, over the {cap:,} byte cap; "
                           "not read", code="too_large", where=self.service.name)

    def over(self, size: int, cap: int) -> NetError:
        return NetError(f"{self.service.name} sent more than the {cap:,} byte cap; reading stopped",
                        code="too_large", where=self.service.name)

    def late(self, seconds: float) -> NetError:
        return NetError(f"{self.service.name} did not finish answering within its {seconds:g} s deadline",
                        code="deadline", where=self.service.name,
                        hint="the server is slow or stalled; it is retried, or raise CREW_HTTP_DEADLINE_S")

    def transport_error(self, exc: httpx.HTTPError, seconds: float) -> NetError:
        if isinstance(exc, httpx.TimeoutException):
            return NetError(f"{self.service.name} timed out ({type(exc).__name__})", code="timeout",
                            where=self.service.name)
        return NetError(f"{self.service.name} unreachable ({type(exc).__name__})", code="network",
                        where=self.service.name)

    # the run's HTTP on tape (tools/net/cassette.py): kept for the transcript, or given back in a re-run
    def _taped(self, url: str, params: Any) -> str:
        url = self.absolute(url)
        return str(httpx.URL(url, params=params)) if params else url

    def from_tape(self, method: str, url: str, params: Any, sink: BinaryIO | None) -> httpx.Response | None:
        """A re-run's recorded answer to this request (after the same host checks as a real one), or None."""
        self.check(self.absolute(url), params, "URL")
        tape = TAPE.get()
        if tape is None or not tape.replaying:
            return None
        full = self._taped(url, params)
        entry = tape.answer(method.upper(), full)
        if entry is None:
            return None  # not on the tape: the request is refused (``_refused``) and the re-run hears of it
        if "error" in entry:
            raise NetError(str(entry.get("message") or "recorded failure"), code=str(entry["error"]),
                           where=self.service.name)
        resp = cassette_response(entry, method.upper(), full)
        if sink is not None:
            sink.write(resp.content)
        return resp

    def tape(self, method: str, url: str, params: Any, resp: httpx.Response, sink: BinaryIO | None) -> None:
        tape = TAPE.get()
        if tape is not None:
            tape.keep(self.service.name, method.upper(), self._taped(url, params), resp, streamed=sink is not None)

    def tape_error(self, method: str, url: str, params: Any, exc: NetError) -> None:
        tape = TAPE.get()
        if tape is not None and exc.code in ("timeout", "network", "deadline", "too_large"):
            tape.keep_error(self.service.name, method.upper(), self._taped(url, params), exc.code, exc.message)

    def rebuild(self, resp: httpx.Response, body: bytes) -> httpx.Response:
        headers = [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in _DROP_ON_REBUILD]
        return httpx.Response(resp.status_code, headers=headers, content=body, request=resp.request)


class Http(_Exchange):
    """Sync client (platform adapters, trend feeds). Each call runs under ``call_deadline``: every
    connect, read and write is bounded by what is left of the deadline, and a watchdog shuts the
    call's socket at the deadline, so a trickling or stalled server cannot hold it longer."""

    def __init__(self, service: Service, *, transport: httpx.BaseTransport | None = None,
                 limits: Limits | None = None, user_agent: str | None = None) -> None:
        super().__init__(service, limits)
        headers = {"User-Agent": user_agent} if user_agent else None
        self.client = httpx.Client(transport=transport or DeadlineTransport(tls_context()), follow_redirects=False,
                                   headers=headers, verify=tls_context())

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None, params: Any = None,
                media: bool = False, max_bytes: int | None = None, deadline_s: float | None = None,
                sink: BinaryIO | None = None, **kw: Any) -> httpx.Response:
        cap, seconds = self.budget(media, max_bytes, deadline_s)
        end = time.monotonic() + seconds
        canned = self.from_tape(method, url, params, sink)
        if canned is not None:
            return canned
        try:
            with call_deadline(end):
                resp = self._request(method, url, headers, params, cap, seconds, end, sink, kw)
        except NetError as exc:
            self.tape_error(method, url, params, exc)
            raise
        self.tape(method, url, params, resp, sink)
        return resp

    def _request(self, method: str, url: str, headers: Mapping[str, str] | None, params: Any, cap: int,
                 seconds: float, end: float, sink: BinaryIO | None, kw: dict[str, Any]) -> httpx.Response:
        url = self.absolute(url)
        _refused(method, self._taped(url, params), self.service.name)
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                with self.client.stream(method, url, headers=self.headers_for(url, headers), params=params,
                                        timeout=self.timeout(end - time.monotonic()), **kw) as resp:
                    hop = self.next_hop(method, url, resp)
                    if hop:
                        method, url = hop
                        kw.pop("content", None), kw.pop("json", None), kw.pop("data", None), kw.pop("files", None)
                        continue
                    self.too_large(resp.headers.get("content-length"), cap)
                    body = _Body(self, self.encoding(resp), cap, sink)
                    for chunk in (resp.iter_raw() if not resp.is_stream_consumed else [resp.content]):
                        body.feed(chunk)
                        if time.monotonic() > end:
                            raise self.late(seconds)
                    data = body.finish()
                    if time.monotonic() > end:
                        raise self.late(seconds)
                    return self.rebuild(resp, data)
            except httpx.HTTPError as exc:
                if time.monotonic() >= end:
                    raise self.late(seconds) from None
                raise self.transport_error(exc, seconds) from None
        raise NetError(f"{self.service.name} redirected more than {MAX_REDIRECTS} times", code="redirects",
                       failure=FailureClass.BAD_OUTPUT, where=self.service.name)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Http":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncHttp(_Exchange):
    """Async client (generation vendors). The whole call runs under ``asyncio.timeout``: at the
    deadline it is cancelled, whatever the server is doing."""

    def __init__(self, service: Service, *, transport: httpx.AsyncBaseTransport | None = None,
                 limits: Limits | None = None, policy: HostPolicy | None = None,
                 client: httpx.AsyncClient | None = None) -> None:
        super().__init__(service, limits)
        if policy is not None:
            self.policy = policy
        self._own = client is None
        self.client = client or httpx.AsyncClient(transport=transport, follow_redirects=False,
                                                  verify=tls_context())

    async def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None, params: Any = None,
                      media: bool = False, max_bytes: int | None = None, deadline_s: float | None = None,
                      sink: BinaryIO | None = None, **kw: Any) -> httpx.Response:
        cap, seconds = self.budget(media, max_bytes, deadline_s)
        canned = self.from_tape(method, url, params, sink)
        if canned is not None:
            return canned
        try:
            async with asyncio.timeout(seconds):
                resp = await self._request(method, url, headers, params, cap, seconds, sink, kw)
        except TimeoutError:
            exc = self.late(seconds)
            self.tape_error(method, url, params, exc)
            raise exc from None
        except NetError as exc:
            self.tape_error(method, url, params, exc)
            raise
        self.tape(method, url, params, resp, sink)
        return resp

    async def _request(self, method: str, url: str, headers: Mapping[str, str] | None, params: Any, cap: int,
                       seconds: float, sink: BinaryIO | None, kw: dict[str, Any]) -> httpx.Response:
        url = self.absolute(url)
        _refused(method, self._taped(url, params), self.service.name)
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                async with self.client.stream(method, url, headers=self.headers_for(url, headers), params=params,
                                              timeout=self.timeout(seconds), **kw) as resp:
                    hop = self.next_hop(method, url, resp)
                    if hop:
                        method, url = hop
                        kw.pop("content", None), kw.pop("json", None), kw.pop("data", None), kw.pop("files", None)
                        continue
                    self.too_large(resp.headers.get("content-length"), cap)
                    body = _Body(self, self.encoding(resp), cap, sink)
                    if resp.is_stream_consumed:
                        body.feed(resp.content)
                    else:
                        async for chunk in resp.aiter_raw():
                            body.feed(chunk)
                    return self.rebuild(resp, body.finish())
            except httpx.HTTPError as exc:
                raise self.transport_error(exc, seconds) from None
        raise NetError(f"{self.service.name} redirected more than {MAX_REDIRECTS} times", code="redirects",
                       failure=FailureClass.BAD_OUTPUT, where=self.service.name)

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", url, **kw)

    async def put(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("PUT", url, **kw)

    async def aclose(self) -> None:
        if self._own:
            await self.client.aclose()

    async def __aenter__(self) -> "AsyncHttp":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def retry_after_of(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers)
