from django.core.management.base import BaseCommand, CommandError

from fcm.inventory import owners
from fcm.inventory.models import LoginToken


class Command(BaseCommand):
    help = "Print a one-time sign-in link (for the administrator unless --user is given)."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username (default: the administrator)")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, user, base_url, **options):
        try:
            account = owners.resolve(user)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        token = LoginToken.issue(account)
        self.stdout.write(f"{base_url.rstrip('/')}/login/{token}/")
