from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fcm.inventory.models import LoginToken
from fcm.training.models import TRAINERS_GROUP


class Command(BaseCommand):
    help = (f"Make a trainer: a user in the {TRAINERS_GROUP} group (created if needed), "
            "and print a one-time sign-in link for them.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    @transaction.atomic
    def handle(self, *args, username, email, base_url, **options):
        username = username.strip()
        if not username or len(username) > 150:
            raise CommandError("give a user name of 1 to 150 characters")
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if created:
            user.set_unusable_password()
            user.save()
        if hasattr(user, "trainee"):
            raise CommandError(f"{username!r} is a trainee account")
        group, _ = Group.objects.get_or_create(name=TRAINERS_GROUP)
        user.groups.add(group)
        self.stdout.write(f"{'Created' if created else 'Updated'} trainer {username!r}. Sign in once with:")
        self.stdout.write(f"{base_url.rstrip('/')}/login/{LoginToken.issue(user)}/")
        self.stdout.write(f"then open {base_url.rstrip('/')}/training/ "
                          f"(set a password with: manage.py changepassword {username})")
