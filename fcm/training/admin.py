from django.contrib import admin

from .models import AuditEntry, Trainee, TrainingSession


class TraineeInline(admin.TabularInline):
    model = Trainee
    fields = ["display_name", "lab", "started_at", "finished_at", "last_action", "last_action_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    """Sessions are run from the trainer's dashboard (/training/); here an administrator looks them up."""

    list_display = ["title", "code", "trainer", "class_size", "joining_locked", "created_at", "expires_at",
                    "ended_at"]
    list_filter = ["scenario", "trainer"]
    search_fields = ["title", "code"]
    readonly_fields = ["trainer", "scenario", "spec", "code", "demo_lab", "created_at", "refused_joins"]
    inlines = [TraineeInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Trainers' actions, as recorded: read-only."""

    list_display = ["at", "actor", "action", "session", "detail", "address"]
    list_filter = ["action"]
    search_fields = ["detail", "actor__username"]
    list_select_related = ["actor", "session"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
