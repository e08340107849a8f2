"""Outbound HTTP to addresses a user typed (an OTA calendar, a webhook target): the SSRF guard.

The host is resolved once; anything but http(s) to a public address is refused unless the
caller allows private addresses; the connection is then made to the address that was
checked (a second DNS answer, DNS rebinding, is never asked for), with the URL's host name
for the Host header, SNI and certificate verification. Shared by channels_sync (iCal import)
and webhooks (delivery)."""

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

import requests.adapters


class UnsafeUrl(Exception):
    """The URL is refused; `reason` is one of "scheme", "unresolved", "private"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve_checked(url: str, *, allow_private: bool) -> str:
    """The address to connect to for `url`, checked once. Raises UnsafeUrl."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("scheme")
    try:
        port = parts.port
        infos = socket.getaddrinfo(parts.hostname, port or None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise UnsafeUrl("unresolved")
    addresses = [info[4][0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]
    if not addresses:
        raise UnsafeUrl("unresolved")
    if not allow_private and not all(is_public_address(address) for address in addresses):
        raise UnsafeUrl("private")
    return addresses[0]


class PinnedTLSAdapter(requests.adapters.HTTPAdapter):
    """HTTPS to an IP address while SNI and certificate verification use the host name."""

    def __init__(self, hostname: str):
        self.hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        kwargs.update(server_hostname=self.hostname, assert_hostname=self.hostname)
        super().init_poolmanager(*args, **kwargs)


def pinned_target(url: str, address: str) -> tuple[str, str]:
    """(the URL rewritten to connect to `address`, the Host header of the original URL)."""
    parts = urlsplit(url)
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{host}:{parts.port}" if parts.port else host
    host_header = parts.hostname if not parts.port else f"{parts.hostname}:{parts.port}"
    if ":" in parts.hostname:  # an IPv6 literal in the URL itself
        host_header = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return pinned, host_header


def pinned_session(url: str, *, verify) -> requests.Session:
    """A session that never reads a proxy from the environment and checks TLS by host name."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: we connect where we checked
    session.verify = verify
    session.mount("https://", PinnedTLSAdapter(urlsplit(url).hostname))
    return session
