"""The production WSGI application on the breakdown's URLconf (``bench.breakdown --load``)."""

from django.conf import settings
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
settings.ROOT_URLCONF = "bench.breakdown_urls"
