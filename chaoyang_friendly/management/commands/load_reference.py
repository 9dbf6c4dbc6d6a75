"""Load the reference data a real install needs — the 43 streets, report categories, the amenity vocabulary,
the default housing rules — and nothing else: no accounts, no demo data.

Idempotent: only what is missing is created; what staff edited stays as they left it. Each app that has
reference data provides `<app>/reference.py` with `load(*, stdout) -> None`; they run in INSTALLED_APPS
order (jurisdictions first: the others may refer to streets). `load_demo` runs this first.
"""

import importlib
import importlib.util

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load the reference data (streets, categories, amenities, default rules); idempotent, no accounts."

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            for config in apps.get_app_configs():
                if not config.path.startswith(str(settings.BASE_DIR)):
                    continue
                if importlib.util.find_spec(f"{config.name}.reference") is not None:
                    importlib.import_module(f"{config.name}.reference").load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("reference data loaded"))
