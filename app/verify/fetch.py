"""Fetching foreign Open Badges nodes without becoming a proxy into our own network.

``fetch_json(url)`` GETs one document with urllib3 and guarantees:

* only ``http`` and ``https``;
* the host is resolved once here and every address is checked: private,
  loopback, link-local, multicast, reserved, unspecified, shared (CGNAT) and
  other non-global addresses are refused, IPv4 and IPv6, IPv4-mapped IPv6
  unwrapped first; the connection goes to the address that was checked (the
  ``Host`` header and TLS SNI carry the name), so a second DNS answer cannot
  rebind it;
* redirects are followed here, at most ``VERIFY_FETCH_MAX_REDIRECTS``, each hop
  checked like the first;
* connect and read timeouts, and an overall deadline, from the settings;
* the body is read in chunks and abandoned past ``VERIFY_FETCH_MAX_BYTES``.

``VERIFY_FETCH_ALLOW`` (host names or CIDRs) lets tests and private
deployments reach addresses the guard would refuse. Every failure is a
``FetchError`` with a check name the verification answer shows.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from flask import current_app

USER_AGENT = "microcredentials-verifier/1 (+Open Badges 2.0 verification)"
REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A node could not be fetched; ``check`` names the failed check."""

    def __init__(self, check: str, message: str):
        self.check = check
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    document: dict


def _settings() -> dict:
    config = current_app.config
    return {
        "connect": float(config["VERIFY_FETCH_CONNECT_TIMEOUT"]),
        "read": float(config["VERIFY_FETCH_READ_TIMEOUT"]),
        "total": float(config["VERIFY_FETCH_TOTAL_TIMEOUT"]),
        "max_bytes": int(config["VERIFY_FETCH_MAX_BYTES"]),
        "redirects": int(config["VERIFY_FETCH_MAX_REDIRECTS"]),
        "allow": list(config["VERIFY_FETCH_ALLOW"] or []),
    }


def parse_allow_list(value: str | list | tuple | None) -> list[str]:
    """``"a.example, 10.0.0.0/8"`` -> ``["a.example", "10.0.0.0/8"]``."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip().lower() for item in items if item and item.strip()]


def _allowed(host: str, address: ipaddress._BaseAddress, allow: list[str]) -> bool:
    for item in allow:
        if item == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


def forbidden_reason(address: ipaddress._BaseAddress) -> str | None:
    """Why ``address`` may not be fetched from, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return forbidden_reason(address.ipv4_mapped)  # the IPv4 address is where the packets go
    if isinstance(address, ipaddress.IPv6Address):
        for inner in (address.ipv4_mapped, address.sixtofour, address.teredo and address.teredo[1]):
            if inner is not None:
                reason = forbidden_reason(inner)
                if reason:
                    return reason
    checks = [
        ("is_unspecified", "unspecified"), ("is_loopback", "loopback"), ("is_link_local", "link-local"),
        ("is_multicast", "multicast"), ("is_private", "private"), ("is_reserved", "reserved"),
    ]
    for attribute, label in checks:
        if getattr(address, attribute):
            return label
    if not address.is_global:
        return "not publicly routable"
    return None


def resolve_checked(host: str, port: int, allow: list[str]) -> str:
    """The first address of ``host`` after checking all of them; FetchError('fetch_address') otherwise."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        addresses = [literal]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError):
            raise FetchError("fetch_address", f"The host {host} does not resolve.") from None
        addresses = []
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
    if not addresses:
        raise FetchError("fetch_address", f"The host {host} does not resolve.")
    for address in addresses:
        if _allowed(host, address, allow):
            continue
        reason = forbidden_reason(address)
        if reason:
            raise FetchError("fetch_address", f"Refused to fetch from {host}: {address} is a {reason} address.")
    return str(addresses[0])


def _pool(scheme: str, address: str, port: int, host: str, settings: dict):
    timeout = urllib3.Timeout(connect=settings["connect"], read=settings["read"])
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, maxsize=1,
            server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)


def _read(response, max_bytes: int, deadline: float) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise FetchError("fetch_size", f"The document is larger than the {max_bytes:,}-byte limit.")
    body = bytearray()
    for chunk in response.stream(16 * 1024, decode_content=True):
        body.extend(chunk)
        if len(body) > max_bytes:
            raise FetchError("fetch_size", f"The document is larger than the {max_bytes:,}-byte limit.")
        if time.monotonic() > deadline:
            raise FetchError("fetch_timeout", "The server took too long to send the document.")
    return bytes(body)


def fetch_json(url: str) -> Fetched:
    """GET ``url`` as JSON under the guard described in the module docstring."""
    settings = _settings()
    deadline = time.monotonic() + settings["total"]
    current = url
    for _hop in range(settings["redirects"] + 1):
        parts = urlsplit(current)
        scheme = (parts.scheme or "").lower()
        if scheme not in ("http", "https"):
            raise FetchError("fetch_scheme", f"Only http and https addresses are fetched, not {scheme or 'this'}.")
        if not parts.hostname:
            raise FetchError("fetch_scheme", "The address has no host.")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise FetchError("fetch_scheme", "The address has an invalid port.") from None
        host = parts.hostname
        address = resolve_checked(host, port, settings["allow"])
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        if ":" in host and parts.port is None:
            host_header = f"[{host}]"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        pool = _pool(scheme, address, port, host, settings)
        try:
            response = pool.urlopen(
                "GET", path, headers={"Host": host_header, "Accept": "application/ld+json, application/json",
                                      "User-Agent": USER_AGENT},
                redirect=False, preload_content=False, assert_same_host=False,
            )
        except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError):
            pool.close()
            raise FetchError("fetch_timeout", f"{host} did not answer in time.") from None
        except urllib3.exceptions.MaxRetryError as exc:
            pool.close()
            if isinstance(exc.reason, (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError)):
                raise FetchError("fetch_timeout", f"{host} did not answer in time.") from None
            raise FetchError("fetch_failed", f"Could not connect to {host}.") from None
        except (urllib3.exceptions.HTTPError, OSError):
            pool.close()
            raise FetchError("fetch_failed", f"Could not connect to {host}.") from None
        try:
            if response.status in REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError("fetch_failed", f"{host} redirected without a Location.")
                current = urljoin(current, location)
                continue
            try:
                body = _read(response, settings["max_bytes"], deadline)
            except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError, socket.timeout):
                raise FetchError("fetch_timeout", f"{host} did not answer in time.") from None
        finally:
            response.release_conn()
            pool.close()
        if response.status >= 400 and response.status != 410:
            raise FetchError("fetch_failed", f"{current} answered HTTP {response.status}.")
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise FetchError("fetch_json", f"{current} did not answer with JSON.") from None
        if not isinstance(document, dict):
            raise FetchError("fetch_json", f"{current} did not answer with a JSON object.")
        return Fetched(url=current, status=response.status, document=document)
    raise FetchError("fetch_redirects", f"More than {settings['redirects']} redirects.")
