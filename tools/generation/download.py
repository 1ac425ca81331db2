"""Fetching a vendor's output file: only from the vendor's own hosts, capped, atomic.

A vendor response is outside data: the URL it names is checked against an allow-list
(https and the vendor's host suffixes; plus the exact scheme and host of an
overridden base URL, so a local simulator may serve over plain http) before any
request, and again on every redirect. The transfer runs on the HTTP seam
(``reelcrew.tools.net``) with the media budget: a size cap (declared and counted)
and an overall deadline (CREW_HTTP_MEDIA_DEADLINE_S), so neither a huge nor a
trickling body can hold memory or the run. The body goes to a temporary file beside
the target, then moves into place with ``os.replace``: a crash never leaves a
half-written clip under the final name. No credential is sent with a download.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from reelcrew.tools.generation.base import FailureClass, ProviderError
from reelcrew.tools.net import AsyncHttp, NetError, Service, UntrustedHost
from reelcrew.tools.net.hosts import HostPolicy

EXPIRED_STATUSES = {403, 404, 410}


class OutputExpired(ProviderError):
    """The output URL no longer works; fetching the task again gives a fresh one."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FailureClass.TRANSIENT, code="expired_url")


class AllowList(HostPolicy):
    """Hosts a vendor may serve outputs from: ``suffixes`` over https, plus exact (scheme, host:port) origins."""

    def __init__(self, suffixes: tuple[str, ...], exact: tuple[tuple[str, str], ...] = (),
                 service: str = "vendor") -> None:
        super().__init__(service, suffixes)
        self.origins = {(scheme.lower(), netloc.lower()) for scheme, netloc in exact}

    @classmethod
    def for_vendor(cls, suffixes: tuple[str, ...], base_url: str, service: str = "vendor") -> "AllowList":
        parts = urlsplit(base_url)
        return cls(suffixes, ((parts.scheme, parts.netloc),), service)

    def may_send_credentials(self, url: str) -> bool:
        return False  # downloads never carry the vendor key

    def check(self, url: str, what: str = "output URL") -> str:
        try:
            return super().check(url, what)
        except UntrustedHost as exc:
            raise untrusted(exc) from None


def untrusted(exc: UntrustedHost) -> ProviderError:
    return ProviderError(f"output offered from a host outside the allow-list ({exc.host!r}); not fetched",
                         FailureClass.UNTRUSTED, code="untrusted_host")


async def download(client: httpx.AsyncClient | None, url: str, out_path: Path, *, allow: AllowList,
                   max_bytes: int, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None) -> Path:
    """Stream ``url`` into ``out_path`` atomically within ``max_bytes`` and ``timeout_s`` overall;
    ProviderError on any problem (off-host: untrusted; too big, stalled, dropped: transient)."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".dl-", suffix=out_path.suffix, dir=out_path.parent)
    tmp = Path(tmp_name)
    http = AsyncHttp(Service(allow.service), policy=allow, client=client, transport=transport)
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                resp = await http.get(url, sink=fh, max_bytes=max_bytes, deadline_s=timeout_s)
            except UntrustedHost as exc:
                raise untrusted(exc) from None
            except ProviderError:
                raise
            except NetError as exc:
                raise ProviderError(f"output download failed: {exc.message}", FailureClass.TRANSIENT,
                                    code=exc.code) from None
        if resp.status_code in EXPIRED_STATUSES:
            raise OutputExpired(f"output URL answered {resp.status_code}")
        if resp.status_code != 200:
            raise ProviderError(f"output download answered {resp.status_code}", FailureClass.TRANSIENT,
                                code=f"http_{resp.status_code}")
        os.replace(tmp, out_path)
        return out_path
    finally:
        await http.aclose()
        tmp.unlink(missing_ok=True)
