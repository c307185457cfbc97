import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Keep start-up's objects, and later the warm process's, out of every garbage collection
# (config/heap.py).
from config.heap import settle_app_server  # noqa: E402

settle_app_server()
