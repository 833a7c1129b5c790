"""Django admin (superusers): the delivery log, company policies, robots and templates."""

from django.contrib import admin

from manyi.notify.models import Message, Notification, Policy, Robot, Template


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "kind", "to", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("to", "ref", "kind")
    raw_id_fields = ("company", "user", "robot")
    readonly_fields = ("claimed_at",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kind", "title", "created_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("user",)


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("company", "quiet_start", "quiet_end")
    raw_id_fields = ("company",)


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "is_active")
    raw_id_fields = ("company", "unit")
    # The webhook address holds the robot's key: not shown in the list.


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    """A company's own wording of a kind (``%(name)s`` variables; see manyi/notify/kinds.py)."""

    list_display = ("company", "kind", "language", "subject")
    list_filter = ("kind", "language")
    raw_id_fields = ("company",)
