"""Bytes of one trend feed, from a file or a URL, never more than a size cap.

This is the one place that reaches out for feeds. A URL is fetched with httpx
(timeouts, redirects), streamed so a huge or endless response is cut off at the cap
instead of filling memory, and retried with backoff (tenacity) on transient trouble:
network errors, 408, 429 and 5xx. Anything else is the user's to fix and becomes an
``InputError`` that names the feed; query strings are redacted from messages because
feed URLs can carry API keys.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from reelcrew.errors import InputError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}
_USER_AGENT = "reelcrew-trends/0.1 (+https://github.com/reelcrew)"


class _Transient(Exception):
    """A failure worth retrying; carries the message for the final error."""


def redact(url: str) -> str:
    """The URL without its query string or credentials (keys often ride there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    query = "…" if parts.query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


class FeedFetcher:
    """Reads feeds within a byte cap; ``transport`` lets tests serve feeds without a network."""

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout_s: float = 10.0,
        attempts: int = 3,
        backoff_s: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
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
        if urlsplit(url).scheme not in ("http", "https"):
            raise InputError("only http:// and https:// feed URLs are supported", where=where)
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff_s, max=8) if self.backoff_s else wait_exponential(multiplier=0, max=0),
            retry=retry_if_exception_type(_Transient),
            reraise=False,
        )
        try:
            with httpx.Client(
                timeout=self.timeout,
                follow_redirects=True,
                transport=self.transport,
                headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            ) as client:
                return retrying(self._get_once, client, url, where)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise InputError(
                f"feed could not be fetched after {self.attempts} attempts: {last}",
                where=where,
                hint="the server is down or throttling; try again later or use a local file",
            ) from None

    def _get_once(self, client: httpx.Client, url: str, where: str) -> bytes:
        try:
            with client.stream("GET", url) as resp:
                if resp.status_code in _TRANSIENT_STATUS:
                    raise _Transient(f"HTTP {resp.status_code}")
                if resp.status_code >= 400:
                    raise InputError(f"the server answered HTTP {resp.status_code}", where=where)
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise InputError(
                        f"feed is too large ({int(declared):,} bytes; the limit is {self.max_bytes:,})", where=where
                    )
                return self._read_capped(resp, where)
        except httpx.TransportError as exc:  # connect/read timeouts, resets, DNS
            raise _Transient(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None

    def _read_capped(self, resp: httpx.Response, where: str) -> bytes:
        buf = bytearray()
        for chunk in resp.iter_bytes():
            buf.extend(chunk)
            if len(buf) > self.max_bytes:
                raise InputError(f"feed is larger than the limit of {self.max_bytes:,} bytes; download stopped", where=where)
        return bytes(buf)
