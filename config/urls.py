from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from cooperation import sitemaps
from cooperation.health import healthz
from cooperation.views import robots_txt

handler400 = "cooperation.views.bad_request"
handler500 = "cooperation.views.server_error"

# For machines, one address each, in no language.
urlpatterns = [
    # A sitemap index and its sections (cooperation/sitemaps.py).
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-<slug:kind>.xml", sitemaps.section, name="sitemap-section"),
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
