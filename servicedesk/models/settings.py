import secrets
from datetime import timedelta

from django.conf import settings as django_settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from admin24.normalize import validate_phone
from admin24.requisites import validate_inn, validate_kpp


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


def new_webhook_secret() -> str:
    # Telegram allows A-Z, a-z, 0-9, "_" and "-", 1–256 characters.
    return secrets.token_urlsafe(32)


class Service(models.Model):
    """A kind of work clients may ask for; its responsible becomes the assignee of new tickets."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active services are offered on the form.")
    )
    responsible = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="servicedesk_services",
    )
    reaction_time = models.DurationField(
        _("reaction time"), null=True, blank=True, help_text=_("Working time; empty means the global value.")
    )
    resolution_time = models.DurationField(
        _("resolution time"), null=True, blank=True, help_text=_("Working time; empty means the global value.")
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["order", "name", "id"]

    def __str__(self):
        return self.name


class DeskSettings(models.Model):
    """The Service Desk settings (one row, ``DeskSettings.load()``)."""

    reaction_time = models.DurationField(
        _("reaction time"), default=timedelta(hours=2), help_text=_("From creation to work started, working time.")
    )
    resolution_time = models.DurationField(
        _("resolution time"), default=timedelta(hours=16), help_text=_("From creation to done, working time.")
    )
    deferred_return_time = models.DurationField(
        _("deferred tickets return after"),
        default=timedelta(hours=8),
        help_text=_("A deferred ticket goes back to work after this much working time."),
    )

    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True, validators=[validate_inn])
    kpp = models.CharField(_("KPP"), max_length=9, blank=True, validators=[validate_kpp])
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True)
    legal_address = models.TextField(_("legal address"), blank=True)
    company_email = models.EmailField(_("email"), blank=True)
    company_phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[validate_phone])

    phone_required = models.BooleanField(_("phone is required on the form"), default=False)
    header_company_name = models.CharField(_("company name in the form header"), max_length=200, blank=True)
    # Both sizes are PNGs re-encoded by servicedesk.uploads.store_favicon: never the uploaded bytes.
    favicon_32 = models.FileField(_("favicon 32×32"), upload_to="servicedesk/favicon/", blank=True, editable=False)
    favicon_180 = models.FileField(_("favicon 180×180"), upload_to="servicedesk/favicon/", blank=True, editable=False)

    telegram_token = models.CharField(_("Telegram bot token"), max_length=100, blank=True)
    telegram_username = models.CharField(_("Telegram bot username"), max_length=64, blank=True)
    telegram_phone = models.CharField(
        _("phone the bot was registered with"), max_length=40, blank=True, validators=[validate_phone]
    )
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token with every webhook update.
    telegram_webhook_secret = models.CharField(
        _("Telegram webhook secret"), max_length=64, default=new_webhook_secret, editable=False
    )

    form_key = models.CharField(_("form key"), max_length=64, default=new_form_key, editable=False)
    allowed_origins = models.TextField(
        _("sites that may embed the form"),
        blank=True,
        help_text=_("One origin per line, e.g. https://example.ru. Other sites cannot show the form in a frame."),
    )

    reopen_window_days = models.PositiveSmallIntegerField(
        _("a client's reply reopens a done ticket within, days"),
        default=30,
        help_text=_("A later reply opens a new ticket linked to the old one."),
    )
    email_service = models.ForeignKey(
        Service,
        verbose_name=_("service of tickets opened by email"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email_tickets_per_hour = models.PositiveSmallIntegerField(
        _("new tickets by email from one sender per hour at most"), default=20
    )
    email_attach_max_mb = models.PositiveSmallIntegerField(
        _("files attached to a client's email at most, MB"),
        default=10,
        help_text=_("Larger files are not attached: the email links to the client page."),
    )

    # The support mailbox the poller reads (``servicedesk.intake.email.mailbox``); empty host: none.
    imap_host = models.CharField(_("mail server (IMAP)"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("port"), default=993)
    imap_security = models.CharField(
        _("connection security"),
        max_length=8,
        choices=[("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", _("none"))],
        default="ssl",
    )
    imap_login = models.CharField(_("login"), max_length=255, blank=True)
    imap_password = models.CharField(_("password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("folder to read"), max_length=255, default="INBOX")
    imap_processed_folder = models.CharField(
        _("folder to move processed mail to"), max_length=255, default="Admin24/Processed"
    )
    imap_uidvalidity = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.PositiveBigIntegerField(default=0, editable=False)
    imap_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    imap_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    imap_last_error = models.TextField(_("last mailbox error"), blank=True, editable=False)
    imap_polled_at = models.DateTimeField(_("mailbox read at"), null=True, blank=True, editable=False)

    max_files = models.PositiveSmallIntegerField(
        _("files per ticket at most"), default=10, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    max_file_mb = models.PositiveSmallIntegerField(
        _("size of one file at most, MB"), default=20, validators=[MinValueValidator(1), MaxValueValidator(1024)]
    )
    max_total_mb = models.PositiveSmallIntegerField(
        _("size of all files at most, MB"), default=50, validators=[MinValueValidator(1), MaxValueValidator(4096)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Service Desk settings")
        verbose_name_plural = _("Service Desk settings")

    def __str__(self):
        return str(_("Service Desk settings"))

    @classmethod
    def load(cls) -> "DeskSettings":
        found = cls.objects.filter(pk=1).first()
        return found if found is not None else cls.objects.get_or_create(pk=1)[0]

    @property
    def origins(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()]

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def max_total_bytes(self) -> int:
        return self.max_total_mb * 1024 * 1024

    # A client's contract overrides the service, which overrides the desk (issue 16).
    def reaction_time_for(self, service: Service | None, contract=None) -> timedelta:
        return (contract and contract.reaction_time) or (service and service.reaction_time) or self.reaction_time

    def resolution_time_for(self, service: Service | None, contract=None) -> timedelta:
        return (contract and contract.resolution_time) or (service and service.resolution_time) or self.resolution_time
