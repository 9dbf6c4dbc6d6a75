"""Where a team's webhook may point (issue 14, finding 3: server-side request forgery).

Checked twice: when staff save the URL (a model validator, so the admin form shows the message) and in
the dispatch worker right before sending, which then connects to the very address it checked (DNS
rebinding cannot swap it). Imports no model: the dispatch worker runs without a database.

Policy: https only; the host's every address must be public (not private, loopback, link-local, CGNAT,
multicast, reserved or unspecified). Cloud metadata addresses are refused always. With
REPORTS_WEBHOOK_ALLOW_PRIVATE (on when DJANGO_DEBUG=1; tests and the fault harness set it) private and
loopback receivers are allowed, and plain http only to loopback.
"""

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
# Not covered by the stdlib flags on every Python version: shared address space (RFC 6598, CGNAT), NAT64.
EXTRA_BLOCKED = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("64:ff9b::/96"))


class BlockedAddress(Exception):
    """The URL is not allowed; `message` says why (translated, for staff)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class Unresolvable(Exception):
    """The host has no address now (a transport failure, not a policy refusal)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to `address`, send `host_header`, verify TLS against `hostname`."""

    scheme: str
    hostname: str
    port: int
    address: str
    host_header: str


def allow_private_default() -> bool:
    return bool(getattr(settings, "REPORTS_WEBHOOK_ALLOW_PRIVATE", False))


def resolve(hostname: str, port: int) -> list[IPAddress]:
    """Every address `hostname` resolves to (tests replace this)."""
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolvable(hostname) from exc
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def _plain(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_is_public(address: IPAddress) -> bool:
    address = _plain(address)
    if address.is_private or address.is_loopback or address.is_link_local or address.is_multicast:
        return False
    if address.is_reserved or address.is_unspecified or not address.is_global:
        return False
    return not any(address in net for net in EXTRA_BLOCKED if net.version == address.version)


def _parse(url: str) -> tuple[SplitResult, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BlockedAddress(str(_("Webhook 地址格式不正确。"))) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BlockedAddress(str(_("Webhook 地址必须以 https:// 开头。")))
    if parts.username or parts.password:
        raise BlockedAddress(str(_("Webhook 地址不能包含用户名或密码。")))
    return parts, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_addresses(scheme: str, addresses: list[IPAddress], *, allow_private: bool) -> None:
    """Raise BlockedAddress unless every address (and the scheme) is allowed."""
    if not addresses:
        raise BlockedAddress(str(_("无法解析 Webhook 主机名。")))
    plain = [_plain(a) for a in addresses]
    if any(a in METADATA_ADDRESSES for a in plain):
        raise BlockedAddress(str(_("Webhook 地址不能指向云平台元数据服务。")))
    if not allow_private and not all(address_is_public(a) for a in plain):
        raise BlockedAddress(str(_("Webhook 地址不能指向内网、本机、链路本地或保留地址。")))
    if scheme != "https" and not (allow_private and all(a.is_loopback for a in plain)):
        raise BlockedAddress(str(_("Webhook 地址必须使用 https://（http 仅限调试时的本机地址）。")))


def webhook_target(url: str, *, allow_private: bool | None = None) -> Target:
    """Resolve and check `url`; return where to connect. Raises BlockedAddress or Unresolvable."""
    allow = allow_private_default() if allow_private is None else allow_private
    parts, hostname, port = _parse(url)
    try:
        addresses = [ipaddress.ip_address(hostname)]
    except ValueError:
        addresses = resolve(hostname, port)
    check_addresses(parts.scheme, addresses, allow_private=allow)
    default_port = 443 if parts.scheme == "https" else 80
    host = f"[{hostname}]" if ":" in hostname else hostname
    return Target(
        scheme=parts.scheme,
        hostname=hostname,
        port=port,
        address=str(addresses[0]),
        host_header=host if port == default_port else f"{host}:{port}",
    )


class PinnedAdapter(HTTPAdapter):
    """Connects to the address that was checked, whatever DNS says now; TLS is still verified against the
    URL's host name (SNI and certificate). The caller sends the URL's Host header."""

    def __init__(self, target: Target) -> None:
        self.target = target
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = self.target.address
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.target.hostname
            pool_kwargs["assert_hostname"] = self.target.hostname
        return host_params, pool_kwargs


def pinned_session(target: Target) -> requests.Session:
    """A session whose requests to `target`'s scheme go to `target.address` (no proxy from the environment:
    the checked address must be the peer)."""
    session = requests.Session()
    session.trust_env = False
    session.mount(f"{target.scheme}://", PinnedAdapter(target))
    return session


def validate_webhook_url(value: str) -> None:
    """Model/admin validator: the same policy as at send time, checked against today's DNS."""
    if not value:
        return
    try:
        webhook_target(value)
    except BlockedAddress as exc:
        raise ValidationError(exc.message, code="blocked_address") from None
    except Unresolvable:
        raise ValidationError(_("无法解析 Webhook 主机名。"), code="unresolvable") from None
