from django.core.management.base import BaseCommand, CommandError

from fcm.engine import dump
from fcm.inventory.models import Lab


class Command(BaseCommand):
    help = ("Write a lab (inventory, state, events, validation reports) to a JSON file; "
            "`manage.py loadlab FILE.json` brings it back.")

    def add_arguments(self, parser):
        parser.add_argument("lab", help="the lab's name")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, lab, output, **options):
        try:
            obj = Lab.objects.get(name=lab)
        except Lab.DoesNotExist:
            known = ", ".join(Lab.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no lab named {lab!r} (labs: {known})") from None
        text = dump.dumps(obj)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stderr.write(f"Wrote lab {obj.name!r} to {output}.")
        else:
            self.stdout.write(text)
