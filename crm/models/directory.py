from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from admin24.normalize import normalize_email, normalize_phone, validate_phone
from admin24.requisites import validate_inn, validate_kpp


class Company(models.Model):
    """A client organisation."""

    access_entity = "company"
    access_owner_field = "responsible"

    name = models.CharField(_("name"), max_length=300)
    # Case-folded in Python: SQLite's case-insensitive comparison only folds ASCII, not Cyrillic.
    name_key = models.CharField(max_length=300, editable=False, db_index=True, default="")
    inn = models.CharField(_("INN"), max_length=12, blank=True, db_index=True, validators=[validate_inn])
    kpp = models.CharField(_("KPP"), max_length=9, blank=True, validators=[validate_kpp])
    address = models.TextField(_("address"), blank=True)
    phones = models.TextField(_("phones"), blank=True, help_text=_("One per line."))
    emails = models.TextField(_("emails"), blank=True, help_text=_("One per line."))
    website = models.URLField(_("website"), blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_companies",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["responsible", "name"], name="crm_company_resp_name")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.prepare_insert()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    def prepare_insert(self) -> None:
        """Derive what save() derives, for an INSERT written without save() (a bulk INSERT)."""
        self.name_key = company_name_key(self.name)


def company_name_key(name: str) -> str:
    return " ".join((name or "").casefold().split())


class Contact(models.Model):
    """A person at a client. Phones and emails are ordered rows; the first email gets the invoices."""

    access_entity = "contact"
    access_owner_field = "responsible"

    full_name = models.CharField(_("full name"), max_length=300)
    position = models.CharField(_("position"), max_length=200, blank=True)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    telegram = models.CharField(_("Telegram username"), max_length=64, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_contacts",
    )
    # Set when the contact was created with an email or phone another contact already has:
    # staff decide whether they are the same person; nothing is merged behind their back.
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("possible duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="possible_duplicates",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["full_name", "id"]
        indexes = [models.Index(fields=["responsible", "full_name"], name="crm_contact_resp_name")]

    def __str__(self):
        return self.full_name

    @property
    def first_email(self) -> str:
        first = min(self.emails.all(), key=lambda e: (e.position, e.pk), default=None)
        return first.email if first else ""

    @property
    def first_phone(self) -> str:
        first = min(self.phones.all(), key=lambda p: (p.position, p.pk), default=None)
        return first.phone if first else ""


class ContactEmail(models.Model):
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("email"))
    email_normalized = models.CharField(max_length=254, editable=False, db_index=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("contact email")
        verbose_name_plural = _("contact emails")
        ordering = ["position", "id"]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.prepare_insert()
        super().save(*args, **kwargs)

    def prepare_insert(self) -> None:
        """Derive what save() derives, for an INSERT written without save() (a bulk INSERT)."""
        self.email_normalized = normalize_email(self.email)


class ContactPhone(models.Model):
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="phones")
    phone = models.CharField(_("phone"), max_length=40, validators=[validate_phone])
    phone_normalized = models.CharField(max_length=20, editable=False, db_index=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("contact phone")
        verbose_name_plural = _("contact phones")
        ordering = ["position", "id"]

    def __str__(self):
        return self.phone

    def save(self, *args, **kwargs):
        self.prepare_insert()
        super().save(*args, **kwargs)

    def prepare_insert(self) -> None:
        """Derive what save() derives, for an INSERT written without save() (a bulk INSERT)."""
        self.phone_normalized = normalize_phone(self.phone)
