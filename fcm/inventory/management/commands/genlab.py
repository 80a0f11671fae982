from django.core.management.base import BaseCommand, CommandError

from fcm.inventory import owners
from fcm.inventory.generate import generate
from fcm.sim import versions


class Command(BaseCommand):
    help = "Generate a lab with one cluster of N nodes and M highly available VMs."

    def add_arguments(self, parser):
        parser.add_argument("--nodes", type=int, default=8)
        parser.add_argument("--vms", type=int, default=100)
        parser.add_argument("--name", help="lab name (default generated-NxM)")
        parser.add_argument("--os-version", default="2019", choices=list(versions.VERSIONS))
        parser.add_argument("--owner", help="username of the owner (default: the administrator)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--replace", action="store_true")

    def handle(self, *args, **o):
        try:
            owner = owners.resolve(o["owner"])
            lab = generate(owner, nodes=o["nodes"], vms=o["vms"], name=o["name"],
                           os_version=o["os_version"], seed=o["seed"], replace=o["replace"])
        except (LookupError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Generated lab {lab.name!r}: {o['nodes']} nodes, {o['vms']} virtual machines."))
