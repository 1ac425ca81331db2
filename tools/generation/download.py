"""Fetching a vendor's output file: only from the vendor's own hosts, capped, atomic.

A vendor response is outside data: the URL it names is checked against an allow-list
(https and the vendor's host suffixes; plus the exact scheme and host of an
overridden base URL, so a local simulator may serve over plain http) before any
request, and again on every redirect. The body is streamed to a temporary file
beside the target with a size cap and a timeout, then moved into place with
``os.replace``, so a crash never leaves a half-written clip under the final name.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from reelcrew.tools.generation.base import FailureClass, ProviderError

EXPIRED_STATUSES = {403, 404, 410}
MAX_REDIRECTS = 3


class OutputExpired(ProviderError):
    """The output URL no longer works; fetching the task again gives a fresh one."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FailureClass.TRANSIENT, code="expired_url")


class AllowList:
    """Hosts a vendor may serve outputs from.

    ``suffixes`` match a host or any subdomain over https; ``exact`` holds
    (scheme, host:port) pairs allowed as is (an overridden base URL).
    """

    def __init__(self, suffixes: tuple[str, ...], exact: tuple[tuple[str, str], ...] = ()) -> None:
        self.suffixes = tuple(s.lower().lstrip(".") for s in suffixes)
        self.exact = {(scheme.lower(), netloc.lower()) for scheme, netloc in exact}

    @classmethod
    def for_vendor(cls, suffixes: tuple[str, ...], base_url: str) -> "AllowList":
        parts = urlsplit(base_url)
        return cls(suffixes, ((parts.scheme, parts.netloc),))

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        scheme, netloc, host = parts.scheme.lower(), parts.netloc.lower(), (parts.hostname or "").lower()
        if (scheme, netloc) in self.exact:
            return True
        if scheme != "https" or not host or parts.username or parts.password:
            return False
        return any(host == s or host.endswith("." + s) for s in self.suffixes)

    def check(self, url: str) -> None:
        if not self.allows(url):
            host = urlsplit(url).netloc[:80]
            raise ProviderError(f"output offered from a host outside the allow-list ({host!r}); not fetched",
                                FailureClass.UNTRUSTED, code="untrusted_host")


async def download(client: httpx.AsyncClient, url: str, out_path: Path, *, allow: AllowList,
                   max_bytes: int, timeout_s: float) -> Path:
    """Stream ``url`` into ``out_path`` atomically; raise ProviderError on any problem."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".dl-", suffix=out_path.suffix, dir=out_path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            await _fetch(client, url, fh, allow=allow, max_bytes=max_bytes, timeout_s=timeout_s)
        os.replace(tmp, out_path)
        return out_path
    finally:
        tmp.unlink(missing_ok=True)


async def _fetch(client: httpx.AsyncClient, url: str, fh, *, allow: AllowList, max_bytes: int,
                 timeout_s: float) -> None:
    for _hop in range(MAX_REDIRECTS + 1):
        allow.check(url)
        try:
            async with client.stream("GET", url, timeout=timeout_s, follow_redirects=False) as resp:
                if resp.is_redirect and "location" in resp.headers:
                    url = urljoin(url, resp.headers["location"])
                    continue
                if resp.status_code in EXPIRED_STATUSES:
                    raise OutputExpired(f"output URL answered {resp.status_code}")
                if resp.status_code != 200:
                    raise ProviderError(f"output download answered {resp.status_code}", FailureClass.TRANSIENT,
                                        code=f"http_{resp.status_code}")
                declared = int(resp.headers.get("content-length") or 0)
                if declared > max_bytes:
                    raise ProviderError(f"output is {declared} bytes, over the {max_bytes} byte cap",
                                        FailureClass.BAD_OUTPUT, code="too_large")
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ProviderError(f"output passed the {max_bytes} byte cap", FailureClass.BAD_OUTPUT,
                                            code="too_large")
                    fh.write(chunk)
                return
        except httpx.TimeoutException:
            raise ProviderError("output download timed out", FailureClass.TRANSIENT, code="timeout") from None
        except httpx.TransportError as exc:
            raise ProviderError(f"output download failed ({type(exc).__name__})", FailureClass.TRANSIENT,
                                code="network") from None
    raise ProviderError("output download redirected too many times", FailureClass.BAD_OUTPUT, code="redirects")
