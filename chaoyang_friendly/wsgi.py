import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaoyang_friendly.settings")
application = get_wsgi_application()
# Everything loaded so far (Django, the URLconf, the apps) lives as long as the process: keep it out of the
# collector's generations, so full collections stop pausing requests for 0.4-2 s under load
# (bench/dispatch_latency.py), and forked gunicorn workers share those pages.
gc.collect()
gc.freeze()
