"""Load the demo: the reference data (load_reference), demo accounts of every role, then each domain app's demo data.

Idempotent: running it again changes nothing that is already there (a password of an existing account is
changed only when DEMO_PASSWORD names a different one). Each domain app may provide `<app>/demo.py` with
`load(*, stdout, small: bool) -> None`.
"""

import importlib
import importlib.util
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import RiderProfile, Role, User
from accounts.services import api_token_create
from jurisdictions.models import Street

# (phone, name, role, street code, extra) — listed in README.md.
DEMO_PEOPLE = [
    ("13800000000", "系统管理员", Role.DISTRICT_STAFF, None, {"is_superuser": True}),
    ("13800000001", "区社工部分析员", Role.DISTRICT_STAFF, None, {}),
    ("13800000002", "双井街道工作人员", Role.STREET_STAFF, "SJ", {}),
    ("13800000003", "三里屯街道工作人员", Role.STREET_STAFF, "SLT", {}),
    ("13800000004", "东湖街道工作人员", Role.STREET_STAFF, "DH", {}),
    ("13900000001", "王师傅(外卖骑手)", Role.RIDER, "SJ", {"occupation": "food_delivery", "platform": "美团"}),
    ("13900000002", "李师傅(快递员)", Role.RIDER, "DH", {"occupation": "courier", "platform": "顺丰"}),
    ("13900000003", "张师傅(网约车司机)", Role.RIDER, "SLT", {"occupation": "ride_hailing", "platform": "滴滴"}),
]
DEMO_APPS = ("stations", "housing", "reports", "partybranch")


class Command(BaseCommand):
    help = "Load the demo data (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--small", action="store_true", help="a small demo (for tests and quick tries)")

    def handle(self, *args: object, **options: object) -> None:
        call_command("load_reference", stdout=self.stdout)
        password = os.environ.get("DEMO_PASSWORD", "")
        generated = self._people(password)
        if generated:
            self.stdout.write(self.style.WARNING(f"demo password (shown once): {generated}"))
        self._service_tokens()
        for app in DEMO_APPS:
            if importlib.util.find_spec(f"{app}.demo") is not None:
                module = importlib.import_module(f"{app}.demo")
                module.load(stdout=self.stdout, small=bool(options["small"]))
        self.stdout.write(self.style.SUCCESS("demo data loaded"))

    @transaction.atomic
    def _people(self, password: str) -> str:
        """Create the demo people; return the generated password if one was made."""
        generated = ""
        streets = {s.code: s for s in Street.objects.all()}
        for phone, name, role, code, extra in DEMO_PEOPLE:
            extra = dict(extra)
            profile = {k: extra.pop(k) for k in ("occupation", "platform") if k in extra}
            is_person_staff = role in {Role.STREET_STAFF, Role.DISTRICT_STAFF}
            user, created = User.objects.get_or_create(
                phone=phone,
                defaults={
                    "name": name,
                    "role": role,
                    "street": streets[code] if code and role != Role.RIDER else None,
                    "is_staff": is_person_staff,
                    **extra,
                },
            )
            # An existing account keeps its password (and its users their sessions) unless DEMO_PASSWORD
            # names a different one: a restart of `make run` logs nobody out.
            if is_person_staff and (created or (password and not user.check_password(password))):
                if not password and not generated:
                    generated = secrets.token_urlsafe(9)
                user.set_password(password or generated)
                user.save(update_fields=["password"])
            if role == Role.RIDER:
                RiderProfile.objects.get_or_create(user=user, defaults={"work_street": streets.get(code), **profile})
        return generated

    def _service_tokens(self) -> None:
        """A dispatcher account for the local worker; its token goes to var/ for `make run`."""
        token_file = Path(settings.VAR_DIR) / "dispatcher.token"
        dispatcher, _created = User.objects.get_or_create(
            name="demo-dispatcher", role=Role.DISPATCHER, phone=None, defaults={"password": "!"}
        )
        if not token_file.exists() or not dispatcher.api_tokens.filter(revoked_at__isnull=True).exists():
            _token, secret = api_token_create(user=dispatcher, name="demo-dispatcher")
            token_file.parent.mkdir(parents=True, exist_ok=True)
            token_file.write_text(secret)
            token_file.chmod(0o600)
            self.stdout.write(f"dispatcher token written to {token_file}")
