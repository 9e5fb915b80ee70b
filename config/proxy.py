"""The client's address for rate limits (django-ratelimit's RATELIMIT_IP_META_KEY).

Behind a reverse proxy REMOTE_ADDR is the proxy, so every visitor would share one limit.
X-Forwarded-For is "client, proxy1, proxy2, ..." where each proxy appends the address it saw;
only the entries appended by our own proxies can be trusted (a client can send any prefix),
so the client is the entry RATELIMIT_TRUSTED_PROXIES places from the right.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def forwarded_client_ip(request: HttpRequest) -> str:
    hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    trusted = max(1, int(settings.RATELIMIT_TRUSTED_PROXIES))
    if len(hops) >= trusted and _is_ip(hops[-trusted]):
        return hops[-trusted]
    # Fewer entries than proxies: the request did not come through them all; count the peer.
    return str(request.META.get("REMOTE_ADDR", ""))


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
