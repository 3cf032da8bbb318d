"""The kernel's demo data: departments, one user per role, the constants' users, the schedule.

Each app has its own ``demo`` package with ``DEMO_STEPS``; ``config.demo`` runs them in order.
"""

from django.contrib.auth.models import Group

from .constants import assign_demo_users
from .models import Department, User
from .roles import Role
from .worktime import seed_work_schedule

DEMO_PASSWORD = "admin24-demo"  # noqa: S105 - printed on purpose; seed_demo refuses production

DEPARTMENTS = [
    # (key, name, parent key)
    ("company", "ООО «Админ24»", None),
    ("support", "Служба поддержки", "company"),
    ("sales", "Отдел продаж", "company"),
    ("sales_regions", "Региональные продажи", "sales"),
    ("office", "Администрация", "company"),
]

USERS = [
    # username, last name, first name, department key, roles, heads department key
    ("admin", "Администратов", "Алексей", "office", [Role.ADMINISTRATOR], None),
    ("director", "Директоров", "Дмитрий", "company", [Role.SUPERVISOR], "company"),
    ("support", "Поддержкин", "Сергей", "support", [Role.SUPPORT_ENGINEER], None),
    ("support_head", "Главный", "Павел", "support", [Role.SUPPORT_ENGINEER, Role.SUPERVISOR], "support"),
    ("sales_head", "Продажников", "Роман", "sales", [Role.SALES_MANAGER, Role.SUPERVISOR], "sales"),
    ("manager", "Менеджеров", "Михаил", "sales", [Role.SALES_MANAGER], None),
    ("manager2", "Регионова", "Мария", "sales_regions", [Role.SALES_MANAGER], None),
    ("clerk", "Делопроизводова", "Елена", "office", [Role.CLERK], None),
    ("itdirector", "Айтишников", "Игорь", "office", [Role.IT_DIRECTOR], None),
    ("accountant", "Бухгалтерова", "Анна", "office", [Role.ACCOUNTANT], None),
]


def seed_structure() -> list[str]:
    departments: dict[str, Department] = {}
    for key, name, parent_key in DEPARTMENTS:
        parent = departments.get(parent_key)
        departments[key], _ = Department.objects.get_or_create(name=name, parent=parent)
    created = []
    for username, last_name, first_name, dept_key, roles, heads in USERS:
        user, was_created = User.objects.get_or_create(
            username=username,
            defaults={
                "last_name": last_name,
                "first_name": first_name,
                "email": f"{username}@admin24.example",
                "department": departments[dept_key],
                "is_staff": Role.ADMINISTRATOR in roles,
                "is_superuser": Role.ADMINISTRATOR in roles,
            },
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.add(*Group.objects.filter(name__in=roles))
            created.append(username)
        if heads and departments[heads].head_id is None:
            departments[heads].head = user
            departments[heads].save(update_fields=["head"])
    return created


# The kernel's steps; ``config.demo`` runs them before every app's.
DEMO_STEPS = [
    ("structure and users", seed_structure),
    ("global constants: clerk and IT director", assign_demo_users),
    ("working calendar", seed_work_schedule),
]
