import json

from django.core.management.base import BaseCommand, CommandError

from fcm.engine import dump, labfile
from fcm.inventory import owners
from fcm.inventory.models import Lab

DEMO_LABS = ["quick-migration-2008", "live-migration-2008r2", "two-node-fresh-2012", "validation-troubleshooting",
             "replica-dr-2012"]


class Command(BaseCommand):
    help = ("Load labs from data files in scenarios/labs/ (by name) or from a path. "
            "--demo loads the demo labs; --if-empty only when the database has no lab.")

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="lab names, .toml lab files or .json dumps (manage.py dumplab)")
        parser.add_argument("--demo", action="store_true", help=f"load {', '.join(DEMO_LABS)}")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when any lab exists already")
        parser.add_argument("--owner", help="username of the owner (default: the administrator; a .json dump "
                                            "needs it, or --trust-user-names)")
        parser.add_argument("--trust-user-names", action="store_true",
                            help="a .json dump of this installation: give the lab the owner and members it names")
        parser.add_argument("--replace", action="store_true",
                            help="delete a lab of the same name first")
        parser.add_argument("--as", dest="lab_name", help="load under another lab name")

    def handle(self, *args, names, demo, if_empty, owner, replace, lab_name, trust_user_names, **options):
        names = list(names) + (DEMO_LABS if demo else [])
        if not names:
            raise CommandError(f"name a lab to load; available: {', '.join(labfile.available_labs())}")
        if if_empty and Lab.objects.exists():
            self.stdout.write("Labs already loaded; nothing to do.")
            return
        try:
            user = owners.resolve(owner)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        for name in names:
            if name.endswith(".json"):
                self.restore(name, user if owner else None, lab_name, replace, trust_user_names)
                continue
            try:
                lab = labfile.load(labfile.lab_path(name), user, name=lab_name, replace=replace)
            except labfile.LabFileError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(self.style.SUCCESS(
                f"Loaded lab {lab.name!r}: {lab.nodes.count()} servers, "
                f"{lab.clusters.count()} cluster(s), {lab.virtual_machines.count()} VMs."))

    def restore(self, path, owner, lab_name, replace, trust_user_names):
        """A file written by `manage.py dumplab` (or edited since: every object is validated)."""
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from None
        try:
            lab = dump.load(data, owner=owner, name=lab_name, replace=replace, trust_user_names=trust_user_names)
        except dump.DumpError as exc:
            raise CommandError(f"{path}: {exc}") from None
        self.stdout.write(self.style.SUCCESS(
            f"Restored lab {lab.name!r} from {path}: {lab.nodes.count()} servers, {lab.clusters.count()} cluster(s), "
            f"{lab.virtual_machines.count()} VMs, {lab.events.count()} events."))
