"""
WSGI config for config project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the URL and template machinery) lives as long as
# the process: move it out of the garbage collector's reach, so that a full collection during
# a request scans only what requests made, and collect the youngest generation less often (a
# request allocates tens of thousands of objects). Meant to trim the slowest requests; the
# waiter benchmark could not separate its effect from this machine's drift.
gc.collect()
gc.freeze()
gc.set_threshold(20_000, 20, 20)
