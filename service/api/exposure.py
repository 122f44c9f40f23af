"""Safe defaults: a server reachable from other machines must be closed, or say it is not.

A server bound to a non-loopback address without bearer tokens would run simulations for
anyone who can reach it, so it refuses to start unless the operator says so explicitly
(``--insecure`` or ``ESCAPESIM_INSECURE=1``). Tokens sent over plaintext to a non-loopback
address can be read on the network, so that starts with a warning.
"""

from __future__ import annotations

import ipaddress
import logging

from escapesim.service.api.settings import PREFIX, Settings, SettingsError

log = logging.getLogger(__name__)


class ExposedError(SettingsError):
    """The server would listen beyond this machine with no authentication."""


def loopback(addr: str) -> bool:
    """Whether ``HOST:PORT`` only accepts connections from this machine."""
    host = addr.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: whatever it resolves to may be reachable


def check(settings: Settings) -> None:
    """Raise :class:`ExposedError` for an open non-loopback server; warn where it is weak."""
    if loopback(settings.addr):
        return
    if settings.tokens_file is None and not settings.insecure:
        raise ExposedError(
            [
                f"refusing to serve {settings.addr} (not loopback) without bearer tokens: set "
                f"{PREFIX}TOKENS_FILE, or allow it with --insecure ({PREFIX}INSECURE=1)"
            ]
        )
    if settings.tokens_file is None:
        log.warning("serving %s without authentication (--insecure)", settings.addr)
    elif settings.tls_cert is None:
        log.warning("bearer tokens over plaintext on %s: set TLS to protect them", settings.addr)
