from django.contrib import admin

from .models import Operation


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "virtual_machine", "source_node", "target_node", "state", "queued_at",
                    "started_at", "finished_at"]
    list_filter = ["lab", "kind", "state"]
    list_select_related = ["virtual_machine", "source_node", "target_node"]
    readonly_fields = ["plan"]
