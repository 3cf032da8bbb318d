from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CrmSettings(models.Model):
    """CRM settings edited by administrators (one row).

    A model rather than a global constant because it also keeps the round-robin pointer, which
    must be shared by every web and worker process.
    """

    class Distribution(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("round-robin among active sales managers")
        FIXED = "fixed", _("always the same person")

    lead_distribution = models.CharField(
        _("new leads go to"), max_length=16, choices=Distribution.choices, default=Distribution.ROUND_ROBIN
    )
    lead_fixed_responsible = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("the person who gets every new lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_lead_responsible = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("last manager given a lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("CRM settings")
        verbose_name_plural = _("CRM settings")

    def __str__(self):
        return str(_("CRM settings"))

    @classmethod
    def load(cls) -> "CrmSettings":
        return cls.objects.get_or_create(pk=1)[0]
