"""ASGI entry point, for servers that speak ASGI (uvicorn kubeshowcase.asgi)."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from kubeshowcase.env import require_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kubeshowcase.settings")

application = get_asgi_application()
require_for_serving(settings.MISSING_FOR_SERVING)

from projects.volume import require_writable  # noqa: E402 (needs the apps loaded above)

require_writable()
