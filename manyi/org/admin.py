"""Django admin: for superusers only (everyone else works through the pages and the API)."""

from django.contrib import admin

from manyi.org.models import ApiToken, AuditEntry, Staff, Unit

admin.site.has_permission = lambda request: bool(
    request.user.is_active and request.user.is_superuser
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "code", "industry", "is_active")
    list_filter = ("kind", "industry", "is_active")
    search_fields = ("name", "code")
    readonly_fields = ("path",)


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "unit")
    list_filter = ("role",)
    search_fields = ("name", "user__username")
    raw_id_fields = ("user", "unit", "company")
    # The work licence comes from certification (manyi.team): never ticked by hand.
    readonly_fields = ("work_licence", "licence_expires_on")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("digest",)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
