from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _


class Entity(models.TextChoices):
    LEAD = "lead", _("lead")
    DEAL = "deal", _("deal")
    CONTACT = "contact", _("contact")
    COMPANY = "company", _("company")
    TICKET = "ticket", _("ticket")
    TASK = "task", _("task")


class Action(models.TextChoices):
    READ = "read", _("read")
    EDIT = "edit", _("edit")
    DELETE = "delete", _("delete")


class Level(models.IntegerChoices):
    """Ordered: a higher level includes everything a lower one allows."""

    NONE = 0, _("none")
    OWN = 10, _("own")
    DEPARTMENT = 20, _("department")
    ALL = 30, _("all")


class AccessRule(models.Model):
    """What a role may do with an entity («CRM — Настройки — Права — Права доступа»)."""

    role = models.ForeignKey(Group, verbose_name=_("role"), on_delete=models.CASCADE, related_name="access_rules")
    entity = models.CharField(_("entity"), max_length=16, choices=Entity.choices)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, default=Level.NONE)

    class Meta:
        verbose_name = _("access rule")
        verbose_name_plural = _("access rights")
        ordering = ["role__name", "entity", "action"]
        constraints = [models.UniqueConstraint(fields=["role", "entity", "action"], name="access_rule_unique")]

    def __str__(self):
        return f"{self.role}: {self.get_entity_display()} / {self.get_action_display()} = {self.get_level_display()}"
