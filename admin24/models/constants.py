from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class GlobalConstant(models.Model):
    """An administrator-set value the robots read («глобальные константы», SPEC §0)."""

    class Type(models.TextChoices):
        NUMBER = "number", pgettext_lazy("constant type", "number")  # «число», not a ticket's «номер»
        STRING = "string", _("string")
        TEXT = "text", _("text")
        USER = "user", _("user")

    identifier = models.CharField(
        _("identifier"),
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z][A-Za-z0-9_]*\Z", _("Latin letters, digits and underscores, starting with a letter.")
            )
        ],
    )
    name = models.CharField(_("name"), max_length=255)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    required = models.BooleanField(_("required"), default=False)
    multiple = models.BooleanField(_("multiple"), default=False)
    value = models.TextField(_("value"), blank=True, help_text=_("For number, string and text constants."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("For user constants."),
    )
    description = models.TextField(_("where it is used"), blank=True)

    class Meta:
        verbose_name = _("global constant")
        verbose_name_plural = _("global constants")
        ordering = ["identifier"]

    def __str__(self):
        return f"{self.identifier} — {self.name}"
