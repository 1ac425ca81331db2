"""Which hosts a service's answers may send us to, and which hosts see its credentials.

A URL that a response hands back (an upload session ``Location``, a poll or status
URL, a download URL, a redirect) is followed only when it is https on one of the
service's own host suffixes, or has exactly the scheme and host of a base URL
(so a user-overridden base, or a local simulator on http://127.0.0.1, works).
Credentials go only to the origins of the service's base URLs: a CDN on an allowed
suffix may serve a download, but never sees the key.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from reelcrew.errors import CrewError, FailureClass


class UntrustedHost(CrewError):
    """A server pointed us at a host outside its service's allow-list; nothing was sent there."""

    default_failure = FailureClass.BAD_OUTPUT

    def __init__(self, service: str, url: str, what: str = "URL") -> None:
        host = (urlsplit(url).netloc or url)[:80]
        super().__init__(f"{service} handed back a {what} on a host outside its allow-list ({host!r}); "
                         "it was not followed and no credential was sent",
                         hint=f"if {host!r} really belongs to {service}, set its base URL to that host",
                         code="untrusted_host")
        self.service = service
        self.host = host


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class HostPolicy:
    def __init__(self, service: str, suffixes: tuple[str, ...] = (), base_urls: tuple[str, ...] = ()) -> None:
        self.service = service
        self.suffixes = tuple(s.lower().lstrip(".") for s in suffixes if s)
        self.origins = {origin(u) for u in base_urls if u}

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.username or parts.password:
            return False
        if origin(url) in self.origins:
            return True
        host = (parts.hostname or "").lower()
        if parts.scheme.lower() != "https" or not host:
            return False
        return any(host == s or host.endswith("." + s) for s in self.suffixes)

    def check(self, url: str, what: str = "URL") -> str:
        if not self.allows(url):
            raise UntrustedHost(self.service, url, what)
        return url

    def may_send_credentials(self, url: str) -> bool:
        """Credentials were issued for the base URLs' hosts; nowhere else sees them."""
        return origin(url) in self.origins
