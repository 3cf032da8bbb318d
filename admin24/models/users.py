from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A node of the company's structure. Its head is the supervisor of its members (SPEC §0)."""

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="department_unique_name_in_parent")]

    def __str__(self):
        return self.name


class AdminUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """A staff member. Clients are CRM contacts, not users."""

    email = models.EmailField(_("email address"), blank=True, db_index=True)
    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    telegram_chat_id = models.BigIntegerField(_("Telegram chat id"), null=True, blank=True, unique=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)

    objects = AdminUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    @property
    def full_name(self) -> str:
        return full_name_of(
            last_name=self.last_name, first_name=self.first_name, patronymic=self.patronymic, username=self.username
        )

    @property
    def initials(self) -> str:
        return initials_of(first_name=self.first_name, last_name=self.last_name, username=self.username)

    def __str__(self):
        return self.full_name


# How a person is named, as functions of the name's parts: pages that read users as values (a
# board's 200 cards) name them without building a User for each.
def full_name_of(*, last_name: str, first_name: str, patronymic: str, username: str) -> str:
    """«Фамилия Имя Отчество», the parts there are; the username when there is none."""
    return " ".join(p for p in (last_name, first_name, patronymic) if p) or username


def initials_of(*, first_name: str, last_name: str, username: str) -> str:
    """The avatar's letters: the first name's and the last name's, else the username's first two."""
    letters = [p[0] for p in (first_name, last_name) if p]
    return ("".join(letters) or username[:2]).upper()
