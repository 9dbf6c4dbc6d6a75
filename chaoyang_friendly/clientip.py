"""The client's address, computed in one place for rate limits, logs and the metrics allow-list.

Behind a proxy REMOTE_ADDR is the proxy. X-Forwarded-For is believed only when the peer itself is a trusted
proxy (TRUSTED_PROXIES, CIDRs; none by default): then the client is the rightmost address of the header
that is not a trusted proxy, because every hop appends the address it saw and only the hops we trust can be
believed. A header sent by anyone else is ignored: a rider cannot pick a fresh rate-limit bucket by sending
`X-Forwarded-For: 1.2.3.4`.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def peer_is_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the direct peer (REMOTE_ADDR) is one of TRUSTED_PROXIES."""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    return bool(networks) and _trusted(request.META.get("REMOTE_ADDR", ""), networks)


def client_ip_compute(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or through trusted proxies the rightmost untrusted X-Forwarded-For hop."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return remote
    client = remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            hop = str(ipaddress.ip_address(hop))
        except ValueError:
            break  # garbage from beyond the trusted hops: keep the last address a trusted proxy vouched for
        client = hop
        if not _trusted(hop, networks):
            break
    return client


def client_ip(request: HttpRequest) -> str:
    """The client's address for this request (set once by RequestContextMiddleware, computed otherwise).

    Also django-ratelimit's RATELIMIT_IP_META_KEY, so every `key="ip"` limit counts per client."""
    cached = getattr(request, "client_ip", None)
    return cached if cached is not None else client_ip_compute(request)
