"""Where the sandbox may send webhooks: checked on the resolved address, at connect time.

A webhook URL is only text until it is resolved, and DNS can change between the check
and the request (or name ``169.254.169.254`` under a friendly host name). So the check
runs inside the HTTP connection: the host is resolved once, every address is checked,
and the socket connects to exactly the address that passed. TLS still verifies the
certificate against the host name. Redirects are not followed and no proxy is used.

Always refused: link-local (``169.254.0.0/16``, ``fe80::/10``) and the cloud metadata
endpoints (``100.100.100.200``, ``fd00:ec2::254``, ``168.63.129.16``, ``192.0.0.192``),
the unspecified address and multicast. A restricted policy (a shared sandbox) also
needs every target to match its allowlist: host names (``hooks.example.com``, or
``*.example.com`` for subdomains) or networks (``10.1.0.0/16``, ``127.0.0.1``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import requests

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",
        "fe80::/10",
        "100.100.100.200/32",
        "fd00:ec2::254/128",
        "168.63.129.16/32",
        "192.0.0.192/32",
        "0.0.0.0/8",
        "::/128",
        "224.0.0.0/4",
        "ff00::/8",
    )
)


class EgressRefused(OSError):
    """A webhook target the sandbox will not connect to (an ``OSError``, like a refusal)."""


@dataclass(frozen=True)
class EgressPolicy:
    """Refused addresses always; with ``restricted``, only targets on the allowlist."""

    allowlist: tuple[str, ...] = ()
    restricted: bool = False

    def check_url(self, url: str) -> None:
        """Refuse a URL by its text: not http(s), unparseable (an unclosed ``[``, a port past
        65535), or a literal refused or unlisted IP."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 -- raises for a port out of range
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise EgressRefused(f"webhook URLs must be http(s) with a host: {url[:80]}")
        address = _literal(parts.hostname)
        if address is not None:
            self.check_address(parts.hostname, address)

    def check_address(self, host: str, address: IPAddress) -> None:
        """Refuse one resolved address of ``host``."""
        host, address = host.lower(), _unmapped(address)
        if any(address in network for network in REFUSED_NETWORKS):
            raise EgressRefused(f"{host} resolves to {address}, a link-local or metadata address")
        if self.restricted and not (self._host_listed(host) or self._address_listed(address)):
            raise EgressRefused(f"{host} ({address}) is not on this sandbox's webhook allowlist")

    def connect(self, host: str, port: int, timeout: Any, **options: Any) -> socket.socket:
        """Resolve ``host``, check every address, and connect to the first that answers."""
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for *_, sockaddr in infos:
            self.check_address(host, ipaddress.ip_address(str(sockaddr[0]).split("%")[0]))
        error: OSError = EgressRefused(f"{host} did not resolve")
        for family, kind, proto, _name, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                if isinstance(timeout, int | float):  # urllib3's "default" is a sentinel
                    sock.settimeout(timeout)
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            return sock
        raise error

    def _host_listed(self, host: str) -> bool:
        return any(
            host == entry or (entry.startswith("*.") and host.endswith(entry[1:]))
            for entry in self.allowlist
        )

    def _address_listed(self, address: IPAddress) -> bool:
        for entry in self.allowlist:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue  # a host name entry
        return False


def guarded_post(policy: EgressPolicy) -> Callable[..., requests.Response]:
    """``requests.post`` through ``policy``: no proxies, no redirects, checked connects.

    The HTTP stack (requests, urllib3) is imported at the first webhook sent, not when the
    dispatcher starts beside the server.
    """
    sessions: list[requests.Session] = []

    def post(url: str, **kwargs: Any) -> requests.Response:
        import requests

        try:
            policy.check_url(url)
        except EgressRefused as exc:
            raise requests.ConnectionError(f"refused: {exc}") from exc
        if not sessions:
            sessions.append(_guarded_session(policy))
        return sessions[0].post(url, allow_redirects=False, **kwargs)

    return post


def _guarded_session(policy: EgressPolicy) -> requests.Session:
    """A session whose connection pools open sockets through ``EgressPolicy.connect``."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class GuardedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                "http": _pool(HTTPConnectionPool, HTTPConnection, policy),
                "https": _pool(HTTPSConnectionPool, HTTPSConnection, policy),
            }

    session = requests.Session()
    session.trust_env = False  # an environment proxy would connect on our behalf, unchecked
    adapter = GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _pool(pool: type[Any], connection: type[Any], policy: EgressPolicy) -> type[Any]:
    def _new_conn(self: Any) -> socket.socket:
        return policy.connect(self.host, self.port, self.timeout)

    guarded = type(f"Guarded{connection.__name__}", (connection,), {"_new_conn": _new_conn})
    return type(f"Guarded{pool.__name__}", (pool,), {"ConnectionCls": guarded})


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _unmapped(address: IPAddress) -> IPAddress:
    """``::ffff:169.254.169.254`` is ``169.254.169.254``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
