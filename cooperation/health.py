"""/healthz: whether this process can serve pages, for a load balancer or an uptime probe.

One trivial query proves the database answers. The reply is never stored by a cache (a
stale "ok" would hide an outage), needs no session, and does not say why the database
failed: the reason goes to the log, not to whoever asks.
"""

import logging

from django.db import Error, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error:
        logger.warning("Health check: the database did not answer.", exc_info=True)
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
