from django.contrib import admin

from .models import LabHealth, Operation


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "virtual_machine", "source_node", "target_node", "state", "queued_at",
                    "started_at", "finished_at"]
    list_filter = ["lab", "kind", "state"]
    list_select_related = ["virtual_machine", "source_node", "target_node"]
    readonly_fields = ["plan"]


@admin.register(LabHealth)
class LabHealthAdmin(admin.ModelAdmin):
    """Labs the engine cannot advance now (read-only: the engine writes and clears them; deleting one
    retries the lab at the next tick)."""

    list_display = ["lab", "stage", "error", "message", "failures", "first_failed_at", "retry_at"]
    list_select_related = ["lab"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
