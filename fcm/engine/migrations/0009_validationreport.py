"""The engine takes over ValidationReport from the wizards app (its table was renamed by wizards 0002)."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("engine", "0008_alter_outbox_kind"),
        ("inventory", "0002_cluster_live_migration_performance_and_more"),
        ("wizards", "0002_validationreport_moves_to_engine"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="ValidationReport",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("nodes", models.JSONField(default=list)),
                        ("version_order", models.PositiveSmallIntegerField(default=3)),
                        ("results", models.JSONField(default=list)),
                        ("started_at", models.DateTimeField(help_text="Sim time")),
                        ("completed_at", models.DateTimeField(blank=True, help_text="Sim time", null=True)),
                        ("outcome", models.CharField(blank=True, max_length=10, choices=[
                            ("success", "Success"), ("warnings", "Warnings"), ("failed", "Failed"),
                            ("canceled", "Canceled")])),
                        ("cluster", models.ForeignKey(blank=True, null=True,
                                                      on_delete=django.db.models.deletion.SET_NULL,
                                                      related_name="validation_reports", to="inventory.cluster")),
                        ("created_by", models.ForeignKey(blank=True, null=True,
                                                         on_delete=django.db.models.deletion.SET_NULL,
                                                         related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("lab", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                  related_name="validation_reports", to="inventory.lab")),
                        ("operation", models.OneToOneField(blank=True, null=True,
                                                           on_delete=django.db.models.deletion.SET_NULL,
                                                           related_name="validation_report",
                                                           to="engine.operation")),
                    ],
                    options={"ordering": ["-started_at", "-pk"]},
                ),
            ],
        ),
    ]
