"""Settings for bench/intake.py's gunicorn: the app's own settings, plus the bare floor view's URL.

The floor view is mounted only here, never in the production URLconf. The rate limits are
raised because the load generator posts thousands of forms from one address.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.intake_urls"
SERVICEDESK_FORM_RATE_PER_IP = "1000000/h"
SERVICEDESK_FORM_RATE_PER_EMAIL = "1000000/h"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# No collectstatic in the throw-away run: plain static URLs instead of the manifest.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
