"""Bytes of one trend feed, from a file or a URL, never more than a size cap.

This is the one place that reaches out for feeds. A URL is fetched on the HTTP seam
(``reelcrew.tools.net``): redirects are followed by hand and only on the feed's own
host, the body is streamed and cut off at the cap instead of filling memory, and the
whole fetch has an overall deadline, so a trickling server cannot hold the run. It is
retried with backoff (tenacity; a server's Retry-After is honoured, bounded) on
transient trouble: network errors, a stall, 408, 429 and 5xx. Anything else is the
user's to fix and becomes an ``InputError`` that names the feed; query strings are
redacted from messages because feed URLs can carry API keys.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt

from reelcrew.errors import FailureClass, InputError
from reelcrew.tools.net import Http, Limits, NetError, Service, UntrustedHost
from reelcrew.tools.net.retry import parse_retry_after, wait_retry_after

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}
_USER_AGENT = "reelcrew-trends/0.1 (+https://github.com/reelcrew)"


class Fetched(bytes):
    """A response body that remembers the server's ``Content-Type`` (its charset decides the decoding)."""

    content_type: str | None = None


class _Transient(Exception):
    """A failure worth retrying; carries the message for the final error."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def redact(url: str) -> str:
    """The URL without its query string or credentials (keys often ride there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    query = "…" if parts.query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


class FeedFetcher:
    """Reads feeds within a byte cap and a deadline; ``transport`` lets tests serve feeds without a network."""

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout_s: float = 10.0,
        attempts: int | None = None,
        backoff_s: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        deadline_s: float | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.deadline_s = deadline_s if deadline_s is not None else min(Limits.from_settings().deadline_s,
                                                                         max(timeout_s * 3, 1.0))
        if attempts is None:  # with coordination off (CREW_COORDINATION=0) every step is tried once, a feed too
            from reelcrew.settings import get_settings

            attempts = 3 if get_settings().coordination else 1
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.transport = transport

    # -- files ----------------------------------------------------------------
    def read_path(self, path: Path) -> bytes:
        where = str(path)
        if not path.exists():
            raise InputError("feed file not found", where=where, hint="check the trend source `path` in the channel file")
        if not path.is_file():
            raise InputError("feed path is not a file", where=where)
        size = path.stat().st_size
        if size > self.max_bytes:
            raise InputError(f"feed is too large ({size:,} bytes; the limit is {self.max_bytes:,})", where=where)
        with path.open("rb") as fh:
            data = fh.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:  # grew while we read it
            raise InputError(f"feed is larger than the limit of {self.max_bytes:,} bytes", where=where)
        return data

    # -- URLs -----------------------------------------------------------------
    def read_url(self, url: str) -> bytes:
        where = redact(url)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise InputError("only http:// and https:// feed URLs are supported", where=where)
        # the feed's own host (either scheme) is the only place its redirects may lead
        same_host_https = urlunsplit(("https", parts.netloc, "", "", ""))
        service = Service(f"feed {where}", url, extra_base_urls=(same_host_https,))
        limits = Limits(deadline_s=self.deadline_s, max_body=self.max_bytes,
                        read_timeout_s=min(self.timeout_s, self.deadline_s))
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_retry_after(self.backoff_s, 8.0, max_wait_s=max(self.deadline_s, 8.0)),
            retry=retry_if_exception_type(_Transient),
            reraise=False,
        )
        try:
            with Http(service, transport=self.transport, limits=limits, user_agent=_USER_AGENT) as client:
                return retrying(self._get_once, client, url, where)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise InputError(
                f"feed could not be fetched after {self.attempts} attempts: {last}",
                where=where, failure=FailureClass.TRANSIENT,  # the server's trouble, not the user's input
                hint="the server is down, stalled or throttling; try again later or use a local file",
            ) from None

    def _get_once(self, client: Http, url: str, where: str) -> bytes:
        try:
            resp = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
        except UntrustedHost as exc:
            raise InputError(f"the feed redirected to another host ({exc.host!r}); not followed", where=where,
                             failure=FailureClass.BAD_OUTPUT, code="untrusted_host",
                             hint="point the trend source at the final URL if you trust that host") from None
        except NetError as exc:
            if exc.code == "too_large":
                said = exc.message.replace(client.service.name, "the server")
                stopped = "" if "declared" in said else "; download stopped"
                raise InputError(f"feed is too large ({said}){stopped}", where=where,
                                 hint="point the trend source at a smaller feed") from None
            raise _Transient(exc.message.replace(client.service.name, "the server")) from None
        if resp.status_code in _TRANSIENT_STATUS:
            raise _Transient(f"HTTP {resp.status_code}", parse_retry_after(resp.headers))
        if resp.status_code >= 400:
            raise InputError(f"the server answered HTTP {resp.status_code}", where=where)
        body = Fetched(resp.content)
        body.content_type = resp.headers.get("content-type")
        return body
