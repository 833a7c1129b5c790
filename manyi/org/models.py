"""The organisation: company → region → outlet, staff with roles, API tokens, the audit log."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UnitKind(models.TextChoices):
    COMPANY = "company", _("Company")
    REGION = "region", _("Region")
    OUTLET = "outlet", _("Outlet")


class Industry(models.TextChoices):
    PAINT_DEALER = "paint_dealer", _("Paint dealer")
    PHARMACY = "pharmacy", _("Pharmacy")
    CAR_DEALER = "car_dealer", _("Car dealer")
    DECORATION = "decoration", _("Home decoration")
    FURNITURE = "furniture", _("Furniture")
    OTHER = "other", _("Other")


# What kind of unit may sit under what: the tree is exactly company → region → outlet.
ALLOWED_PARENT = {
    UnitKind.COMPANY: None,
    UnitKind.REGION: UnitKind.COMPANY,
    UnitKind.OUTLET: UnitKind.REGION,
}


class Unit(models.Model):
    """A node of the organisation tree: the company, a region (片区) or an outlet (门店/经销商)."""

    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # The root of the tree this unit belongs to; a company row points to itself.
    company = models.ForeignKey(
        "self",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Materialised path of ids, e.g. "/1/4/17/": a subtree is one indexed prefix match.
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True)
    industry = models.CharField(
        _("industry"), max_length=20, choices=Industry.choices, blank=True, default=""
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, default="")
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    # Days after archiving within which the return visit (回访) is due at this outlet; empty:
    # the industry's default (30 days, 3 for car service — 002 and 004).
    return_visit_days = models.PositiveSmallIntegerField(
        _("return visit within (days)"), null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="unit_code_unique_per_company"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="outlet") | ~models.Q(industry=""),
                name="unit_outlet_has_industry",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        """0 for the company, 1 for a region, 2 for an outlet."""
        return self.path.count("/") - 2

    def contains(self, other: Unit) -> bool:
        """Whether ``other`` is this unit or lies under it."""
        return other.path.startswith(self.path)

    def ancestor_ids(self) -> list[int]:
        """The ids on the path from the company down to this unit, inclusive."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    OUTLET_MANAGER = "outlet_manager", _("Outlet manager")
    SERVICE_REP = "service_rep", _("Service representative")
    TECHNICIAN = "technician", _("Technician")
    INSPECTOR = "inspector", _("Inspector")
    FRONTLINE = "frontline", _("Front-line staff")
    AUDITOR = "auditor", _("Auditor")
    ANALYST = "analyst", _("Analyst")
    SHOPPER = "shopper", _("Mystery shopper")


class Staff(models.Model):
    """A member of staff: a login, a role and a home unit whose subtree they work in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff",
    )
    company = models.ForeignKey(
        Unit, verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("home unit"), on_delete=models.PROTECT, related_name="staff"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, default="")
    employee_no = models.CharField(_("employee number"), max_length=32, blank=True, default="")
    # 持证上岗 (002 第七章): only licensed staff go on site. A denormalised copy of the
    # person's standing certificates, written only by the certification actions
    # (manyi.team.actions.training.sync_licence); no form or API sets it by hand.
    work_licence = models.BooleanField(_("holds a work licence"), default=False)
    licence_expires_on = models.DateField(_("licence valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["unit__path", "name"]
        indexes = [
            # Staff lists of a unit filtered by role (assignment pickers).
            models.Index(fields=["unit", "role"], name="staff_unit_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    def has_valid_licence(self, on=None) -> bool:
        """Whether the person may go on site (持证上岗) on the given day (default: today)."""
        if not self.work_licence:
            return False
        day = on or timezone.localdate()
        return self.licence_expires_on is None or self.licence_expires_on >= day


def token_digest(raw: str) -> str:
    """The stored form of an API token: its SHA-256, so a database leak reveals no token."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A personal API token; only its digest is stored, the token itself is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    IMPORT = "import", _("Imported")
    EXPORT = "export", _("Exported")
    TOKEN = "token", _("API token")


class AuditEntry(models.Model):
    """One line of the append-only audit log: who changed what, when, and how."""

    company = models.ForeignKey(
        Unit, verbose_name=_("company"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            # The history panel of one record's page.
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_idx"),
            # The company-wide log, newest first.
            models.Index(fields=["company", "-id"], name="audit_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        # Append-only: an entry, once written, is never changed.
        if self.pk is not None:
            raise ValueError("Audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only")

    @property
    def actor_name(self) -> str:
        """Who did it: the staff member's name, else the user name, else "—"."""
        if self.actor is None:
            return "—"
        staff = getattr(self.actor, "staff", None)
        return staff.name if staff else self.actor.get_username()
