from django.contrib import admin

from fcm.inventory.ids import whole_number

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

    def get_object(self, request, object_id, from_field=None):
        """Its key is the lab's (a one-to-one key, which Django does not range-check as it does an id):
        an id no row can have is no row, not a database error."""
        if whole_number(object_id) is None:
            return None
        return super().get_object(request, object_id, from_field)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
