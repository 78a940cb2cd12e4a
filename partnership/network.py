"""The client's address, the one place it is read: login throttling (django-axes), the password-reset limit and
account events all call `client_address`.

Behind `TRUSTED_PROXIES` reverse proxies, the socket's address is the nearest proxy's. Each proxy adds the address
it was reached from to `X-Forwarded-For` (the shipped nginx sets the header to it), so the client is the
`TRUSTED_PROXIES`-th address from the right: whatever a client writes into the header itself sits further left and
is never read. A request that carries fewer addresses than that did not pass through every proxy; it is keyed on the
socket's address. django-ipware reads and validates the header.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_address(request: HttpRequest) -> str | None:
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        # ipware counts the proxies named in the header; the nearest one is the socket's address, not in it.
        address, _routable = get_client_ip(
            request,
            proxy_order="left-most",  # the header lists the client first, then each proxy
            proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
        )
        if address:
            return address
    return request.META.get("REMOTE_ADDR") or None
