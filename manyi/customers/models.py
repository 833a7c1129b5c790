"""The customer archive (顾客档案, DOMAIN §1): customers, what they bought, and their tags."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.org.models import Unit


class AgeBand(models.TextChoices):
    UNDER_25 = "u25", _("Under 25")
    FROM_25 = "25_34", _("25–34")
    FROM_35 = "35_44", _("35–44")
    FROM_45 = "45_59", _("45–59")
    OVER_60 = "60p", _("60 and over")


class IncomeBand(models.TextChoices):
    LOW = "low", _("Low")
    LOWER_MIDDLE = "lower_middle", _("Lower middle")
    MIDDLE = "middle", _("Middle")
    UPPER_MIDDLE = "upper_middle", _("Upper middle")
    HIGH = "high", _("High")


class Education(models.TextChoices):
    SECONDARY = "secondary", _("Secondary school or below")
    VOCATIONAL = "vocational", _("Vocational college")
    BACHELOR = "bachelor", _("Bachelor's degree")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class SocialClass(models.TextChoices):
    WORKING = "working", _("Working class")
    MIDDLE = "middle", _("Middle class")
    UPPER_MIDDLE = "upper_middle", _("Upper middle class")
    UPPER = "upper", _("Upper class")


class RelationshipLevel(models.TextChoices):
    """001 §5.8: the level follows from what the company does after the sale."""

    BASIC = "basic", _("Basic")
    PASSIVE = "passive", _("Passive")
    RESPONSIBLE = "responsible", _("Responsible")
    PROACTIVE = "proactive", _("Proactive")
    PARTNER = "partner", _("Partner")


class Tag(models.Model):
    """A free tag on customers (values, preferences, anything the outlet wants to find by)."""

    company = models.ForeignKey(
        Unit, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=30)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="tag_name_unique_per_company")
        ]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A customer of the company, kept in the archive of their home outlet."""

    company = models.ForeignKey(
        Unit, verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    home_outlet = models.ForeignKey(
        Unit, verbose_name=_("home outlet"), on_delete=models.PROTECT, related_name="customers"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    phone = models.CharField(_("mobile phone"), max_length=11)
    province = models.CharField(_("province"), max_length=20, blank=True, default="")
    city = models.CharField(_("city"), max_length=30, blank=True, default="")
    district = models.CharField(_("district"), max_length=30, blank=True, default="")
    address_detail = models.CharField(_("street address"), max_length=200, blank=True, default="")
    age_band = models.CharField(
        _("age band"), max_length=8, choices=AgeBand.choices, blank=True, default=""
    )
    income_band = models.CharField(
        _("income band"), max_length=16, choices=IncomeBand.choices, blank=True, default=""
    )
    education = models.CharField(
        _("education"), max_length=16, choices=Education.choices, blank=True, default=""
    )
    social_class = models.CharField(
        _("social class"), max_length=16, choices=SocialClass.choices, blank=True, default=""
    )
    relationship_level = models.CharField(
        _("relationship level"),
        max_length=16,
        choices=RelationshipLevel.choices,
        default=RelationshipLevel.BASIC,
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    contact_consent = models.BooleanField(_("agrees to be contacted"), default=False)
    contact_consent_at = models.DateTimeField(_("contact consent given at"), null=True, blank=True)
    survey_consent = models.BooleanField(_("agrees to surveys"), default=False)
    survey_consent_at = models.DateTimeField(_("survey consent given at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")
    # Space-separated search tokens (CJK unigrams/bigrams, words, phone tail); see search.py.
    search_text = models.TextField(editable=False, default="")
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # Set when the customer's personal data was erased (PIPL): the row stays, anonymised, so
    # cases, purchases and survey scores still count in every total (manyi.privacy).
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "phone"], name="customer_phone_unique_per_company"
            ),
        ]
        indexes = [
            # Lists are keyset-paginated newest first, within a company or an outlet.
            models.Index(fields=["company", "-id"], name="customer_company_id_idx"),
            models.Index(fields=["home_outlet", "-id"], name="customer_outlet_id_idx"),
            # The segment and level filters of the customer list.
            models.Index(
                fields=["company", "relationship_level", "-id"], name="customer_level_idx"
            ),
            models.Index(fields=["company", "age_band", "-id"], name="customer_age_idx"),
            models.Index(fields=["company", "income_band", "-id"], name="customer_income_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_address(self) -> str:
        """The address as one line; a municipality (北京市北京市) is named once."""
        city = "" if self.city == self.province else self.city
        return f"{self.province}{city}{self.district}{self.address_detail}"

    @property
    def masked_phone(self) -> str:
        """The phone as roles without the right to see it get it: 138****5678."""
        return mask_phone(self.phone)


def mask_phone(phone: str) -> str:
    """Hide the middle four digits of a mobile number."""
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[7:]}"


class Purchase(models.Model):
    """One thing a customer bought: product, batch, quantity, date, outlet."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="purchases"
    )
    outlet = models.ForeignKey(
        Unit, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="purchases"
    )
    product = models.CharField(_("product"), max_length=100)
    batch_no = models.CharField(_("batch number"), max_length=50, blank=True, default="")
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, default=1)
    purchased_on = models.DateField(_("purchase date"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-purchased_on", "-id"]
        indexes = [
            # A customer's purchases on their page and timeline.
            models.Index(fields=["customer", "-purchased_on"], name="purchase_customer_idx"),
            # Complaints look up other buyers of the same batch (DOMAIN §3).
            models.Index(fields=["batch_no"], name="purchase_batch_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.purchased_on}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """A customer spreadsheet being imported in the background, with its row errors."""

    company = models.ForeignKey(
        Unit, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    default_outlet = models.ForeignKey(
        Unit,
        verbose_name=_("default outlet"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        "auth.User", verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True
    )
    file_name = models.CharField(_("file name"), max_length=200)
    stored_path = models.CharField(max_length=300, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    # The first errors, [[row, field, zh, en], ...]; the full list is in the error report.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.file_name
