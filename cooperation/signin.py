"""The page a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE).

django-axes counts failed sign-ins per username and address, and logs every failure,
lockout, sign-in and sign-out (logger "axes"). A locked-out pair gets this page, in the
admin's own style, instead of axes' plain text.
"""

from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _


def lockout(request, credentials, *args, **kwargs):
    """429, with when to try again, and nothing about whether the account exists."""
    context = {
        **admin.site.each_context(request),
        "title": _("Too many failed sign-ins"),
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return TemplateResponse(request, "admin/lockout.html", context, status=429).render()
