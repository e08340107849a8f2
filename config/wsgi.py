"""
WSGI config for config project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# The URL configuration imports every view and what the views import (some 30,000 objects:
# the ESC/POS printer profiles, WeasyPrint, the API schema): load it now rather than in the
# first request, so that it is frozen with the rest.
url_patterns = get_resolver().url_patterns

# Everything loaded so far (Django, the apps, the URL and template machinery) lives as long as
# the process: move it out of the garbage collector's reach, so that a full collection scans
# only what requests made, and collect the youngest generation less often (a request
# allocates tens of thousands of objects). gunicorn.conf.py collects between requests.
gc.collect()
gc.freeze()
gc.set_threshold(20_000, 20, 20)
