"""ValidationReport moves to the engine app (a validation run is an engine Operation): the table is
renamed in place, so stored reports are kept; the engine's migration 0009 takes the model over."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("wizards", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable("ValidationReport", "engine_validationreport")],
            state_operations=[migrations.DeleteModel("ValidationReport")],
        ),
    ]
