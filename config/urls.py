from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from cooperation.health import healthz
from cooperation.sitemaps import SITEMAPS
from cooperation.views import robots_txt

handler500 = "cooperation.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", robots_txt, name="robots"),
    path("healthz", healthz, name="healthz"),
    path("", include("cooperation.urls")),
]
