from django.core.management.base import BaseCommand, CommandError, CommandParser

from chaoyang_friendly.errors import ApplicationError
from jurisdictions.models import Street

from ...models import Role
from ...services import service_account_create

ROLES = {"dispatcher": Role.DISPATCHER, "team": Role.TEAM_MEMBER}


class Command(BaseCommand):
    help = "Create a service account (dispatch worker or response team) and print a new API token once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", required=True, choices=sorted(ROLES))
        parser.add_argument("--street", help="street code, for team accounts (e.g. DH)")

    def handle(self, *args: object, **options: str) -> None:
        try:
            _user, secret = service_account_create(
                name=options["name"], role=ROLES[options["role"]], street_code=options.get("street")
            )
        except (ApplicationError, Street.DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(secret)
