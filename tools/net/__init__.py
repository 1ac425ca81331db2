"""One HTTP seam for every outside call: vendors, platforms and trend feeds.

- ``client``: ``Http`` / ``AsyncHttp`` (thin wrappers over httpx) that read every body
  with a cap and an overall deadline, follow redirects by hand, and never send a
  credential to a host it was not issued for;
- ``hosts``: ``HostPolicy``, the hosts a service's answers may point at;
- ``limits``: the deadlines and caps (CREW_HTTP_* settings);
- ``deadline``: the sync client's hard deadline (every socket operation bounded, a watchdog at the end);
- ``ids``: what an id a server hands back may look like (task, video and post ids);
- ``retry``: tenacity retries whose wait honours Retry-After.

Fault injection rides on the ``transport`` argument (``reelcrew.faults.FaultyTransport``).
"""

from reelcrew.tools.net.client import AsyncHttp, Http, NetError, Service
from reelcrew.tools.net.hosts import HostPolicy, UntrustedHost
from reelcrew.tools.net.limits import Limits

__all__ = ["AsyncHttp", "Http", "NetError", "Service", "HostPolicy", "UntrustedHost", "Limits"]
