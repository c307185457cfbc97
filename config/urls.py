from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from cooperation.health import healthz
from cooperation.sitemaps import SITEMAPS
from cooperation.views import robots_txt

handler400 = "cooperation.views.bad_request"
handler500 = "cooperation.views.server_error"

# For machines, one address each, in no language.
urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", robots_txt, name="robots"),
    path("healthz", healthz, name="healthz"),
]
# Every page in every language: English at the addresses it always had (/events/), the
# others under their code (/az/events/, /ru/events/). The address alone sets the language
# (cooperation/locale.py).
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("cooperation.urls")),
    prefix_default_language=False,
)
