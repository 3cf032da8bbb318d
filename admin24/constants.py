"""Typed access to the global constants («глобальные константы», SPEC §0).

Robots read them on every run, so values are cached in Django's shared cache (Redis in
production, files under var/ otherwise) and dropped from it whenever a constant is saved or
deleted, which every process sees at once.

    constants.get("LargeReminderPeriod")  # -> 30
    constants.get("Clerk")                # -> User, or None while no active user is chosen
"""

import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .models import GlobalConstant, User
from .roles import Role

__all__ = [
    "SEEDED",
    "UnknownConstant",
    "administrators",
    "assign_demo_users",
    "changed",
    "get",
    "on_change",
    "on_missing",
    "user_or_fallback",
    "validate_value",
]

log = logging.getLogger(__name__)

Type = GlobalConstant.Type

# A safety net only: saves and deletes invalidate at once, but a bulk UPDATE in a shell would not.
CACHE_SECONDS = 3600
_CACHE_PREFIX = "admin24:constant:v1:"


class UnknownConstant(KeyError):
    def __init__(self, identifier: str):
        super().__init__(identifier)
        self.identifier = identifier

    def __str__(self):
        return f"No global constant with the identifier {self.identifier!r}"


@dataclass(frozen=True)
class Seed:
    identifier: str
    name: str
    type: str
    default: str
    description: str


BILL_TEXT = """Здравствуйте!

Направляем вам счёт № {invoice_number} на оплату абонентского обслуживания IT-инфраструктуры \
{company} за период {period}. Сумма к оплате: {amount}.

Счёт во вложении. Пожалуйста, оплатите его в течение пяти рабочих дней и сообщите нам, если \
у вас появятся вопросы.

С уважением,
ООО «Админ24»"""

# The eight constants of SPEC §0. Migration 0003 seeds them; the admin keeps their identifiers and types fixed.
SEEDED: tuple[Seed, ...] = (
    Seed(
        "ActFormingDate",
        "Срок оформления закрывающих документов — в днях",
        Type.NUMBER,
        "3",
        "Воронка «Регулярные платежи»: за сколько дней до конца оплаченного периода сделка со стадии "
        "«Счёт оплачен» переходит на стадию «Закрывающие документы».",
    ),
    Seed(
        "BillText",
        "Текст письма для отправки счетов",
        Type.TEXT,
        BILL_TEXT,
        "Воронка «Регулярные платежи»: текст письма, с которым счёт уходит клиенту, когда к сделке "
        "прикреплён файл счёта. Можно вставить подстановки: {company} — компания клиента, {period} — "
        "оплачиваемый период, {amount} — сумма, {invoice_number} — номер счёта.",
    ),
    Seed(
        "BillTheme",
        "Тема письма для отправки счетов",
        Type.STRING,
        "Счёт на оплату услуг",
        "Воронка «Регулярные платежи»: тема письма, с которым счёт уходит клиенту.",
    ),
    Seed(
        "Clerk",
        "Делопроизводитель",
        Type.USER,
        "",
        "Воронка «Заключение договора», стадия «Заключение договора»: ему ставится задача подготовить "
        "договор. Пока никто не выбран, задача достаётся ответственному менеджеру, а администраторы "
        "получают уведомление.",
    ),
    Seed(
        "IT_Director",
        "IT Директор",
        Type.USER,
        "",
        "Воронка «Заключение договора», стадия «Проведение аудита IT инфраструктуры»: ему ставится задача "
        "аудита. Пока никто не выбран, задача достаётся ответственному менеджеру, а администраторы "
        "получают уведомление.",
    ),
    Seed(
        "LargeReminderPeriod",
        "Срок напоминания (больший) — в днях",
        Type.NUMBER,
        "30",
        "Отслеживание срока окончания договора: за сколько дней до окончания договора длиной не меньше "
        "NotificationStep месяцев создаётся сделка на продление.",
    ),
    Seed(
        "LessReminderPeriod",
        "Срок напоминания (меньший) — в днях",
        Type.NUMBER,
        "14",
        "Отслеживание срока окончания договора: за сколько дней до окончания договора короче "
        "NotificationStep месяцев создаётся сделка на продление.",
    ),
    Seed(
        "NotificationStep",
        "Порог изменения срока напоминания — в месяцах",
        Type.NUMBER,
        "6",
        "Отслеживание срока окончания договора: договор короче этого числа месяцев получает напоминание "
        "за LessReminderPeriod дней, остальные — за LargeReminderPeriod дней.",
    ),
)
SEEDED_IDENTIFIERS = frozenset(seed.identifier for seed in SEEDED)


def _key(identifier: str) -> str:
    return _CACHE_PREFIX + identifier


def get(identifier: str) -> int | str | User | None:
    """The constant's value as its type says: number → int, string/text → str, user → User | None.

    An empty number is None. A user constant whose user has been deactivated reads as unset, so
    robots fall back instead of giving work to someone who left.
    """
    stored = cache.get(_key(identifier))
    if stored is None:
        row = GlobalConstant.objects.filter(identifier=identifier).values_list("type", "value", "user_id").first()
        if row is None:
            raise UnknownConstant(identifier)
        stored = row
        cache.set(_key(identifier), stored, CACHE_SECONDS)
    type_, value, user_id = stored
    if type_ == Type.USER:
        if user_id is None:
            return None
        return User.objects.filter(pk=user_id, is_active=True).first()
    if type_ == Type.NUMBER:
        return int(value) if value.strip() else None
    return value


def user_or_fallback(identifier: str, *, fallback: User) -> User:
    """The user constant's user; while it is unset, ``fallback``, and the ``on_missing`` listeners hear of it.

    Robots use it so that an unchosen Clerk or IT director never stops a deal (SPEC §0): the task
    goes to the fallback (the deal's responsible). The listeners run in the robot's transaction
    (the notifications app tells every administrator once, keyed per constant).
    """
    user = get(identifier)
    if user is not None:
        return user
    row = GlobalConstant.objects.get(identifier=identifier)
    log.warning("Global constant %s is not set; falling back to %s", identifier, fallback)
    for fn in _missing_listeners:
        fn(row, fallback=fallback)
    return fallback


_missing_listeners: list = []


def on_missing(fn):
    """Register ``fn(constant, *, fallback)`` to run when a robot finds a user constant unset.

    The kernel imports no app: whoever must be told (administrators, by the notifications app)
    subscribes here, as the renewal planner subscribes to ``on_change``.
    """
    _missing_listeners.append(fn)
    return fn


def administrators():
    """The active users who may fix the configuration: superusers and the Administrator role."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=Role.ADMINISTRATOR))
        .distinct()
        .order_by("pk")
    )


_change_listeners: list = []


def on_change(fn):
    """Register ``fn(identifier)`` to run after a constant is saved by an administrator.

    For robots whose pending waits were computed from a constant (renewal lead times): the save
    path calls ``changed`` explicitly, so the re-plan is visible there rather than in a signal.
    """
    _change_listeners.append(fn)
    return fn


def changed(identifier: str) -> None:
    for fn in _change_listeners:
        fn(identifier)


def validate_value(*, type: str, value: str, user: User | None, required: bool = False) -> str:
    """Check a value against its constant's type; returns the value normalised for storage.

    Raises ValidationError keyed by the field ("value" or "user") that is wrong.
    """
    value = value or ""
    if type == Type.USER:
        if value.strip():
            raise ValidationError({"value": _("A user constant keeps its value in the user field.")})
        if user is not None and not user.is_active:
            raise ValidationError({"user": _("Choose an active user.")})
        if required and user is None:
            raise ValidationError({"user": _("This constant is required: choose a user.")})
        return ""
    if user is not None:
        raise ValidationError({"user": _("Only user constants refer to a user.")})
    if type == Type.NUMBER:
        value = value.strip()
        if value and not (value.isascii() and value.isdigit()):
            raise ValidationError({"value": _("Enter a whole number, 0 or greater.")})
        value = str(int(value)) if value else ""
    elif type == Type.STRING and "\n" in value.strip():
        raise ValidationError({"value": _("A string constant is a single line.")})
    elif type == Type.STRING:
        value = value.strip()
    if required and not value.strip():
        raise ValidationError({"value": _("This constant is required: enter a value.")})
    return value


@receiver(pre_save, sender=GlobalConstant, dispatch_uid="admin24.constants.invalidate_renamed")
def _invalidate_renamed(sender, instance: GlobalConstant, **kwargs):
    if instance.pk:
        old = GlobalConstant.objects.filter(pk=instance.pk).values_list("identifier", flat=True).first()
        if old and old != instance.identifier:
            _invalidate_key(old)


@receiver(post_save, sender=GlobalConstant, dispatch_uid="admin24.constants.invalidate_saved")
@receiver(post_delete, sender=GlobalConstant, dispatch_uid="admin24.constants.invalidate_deleted")
def _invalidate(sender, instance: GlobalConstant, **kwargs):
    _invalidate_key(instance.identifier)


def _invalidate_key(identifier: str) -> None:
    cache.delete(_key(identifier))
    # Again after commit: until then another process still reads the old row and may cache it.
    transaction.on_commit(lambda: cache.delete(_key(identifier)))


def assign_demo_users() -> list[str]:
    """seed_demo's step: the demo clerk and IT director fill Clerk and IT_Director while they are unset."""
    assigned = []
    for identifier, username in (("Clerk", "clerk"), ("IT_Director", "itdirector")):
        constant = GlobalConstant.objects.filter(identifier=identifier, user__isnull=True).first()
        user = User.objects.filter(username=username, is_active=True).first()
        if constant is not None and user is not None:
            constant.user = user
            constant.save(update_fields=["user"])
            assigned.append(identifier)
    return assigned
