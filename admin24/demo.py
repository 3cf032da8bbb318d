"""Demo data for `make run` and manual checks. Each app adds its part through `DEMO_STEPS`."""

from django.contrib.auth.models import Group
from django.db import transaction

from .models import Department, User
from .roles import Role

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


# Later apps append (label, callable) pairs; each callable must be idempotent.
DEMO_STEPS = [("structure and users", seed_structure)]


@transaction.atomic
def seed_demo() -> dict[str, object]:
    return {label: step() for label, step in DEMO_STEPS}


from .constants import assign_demo_users  # noqa: E402 - kept next to the step it adds

DEMO_STEPS.append(("global constants: clerk and IT director", assign_demo_users))

from .worktime import seed_work_schedule  # noqa: E402 - kept next to the step it adds

DEMO_STEPS.append(("working calendar", seed_work_schedule))

from crm.demo import seed_crm  # noqa: E402 - kept next to the step it adds

DEMO_STEPS.append(("CRM: companies, contacts, leads in every stage, tasks", seed_crm))

from servicedesk.demo import seed_servicedesk  # noqa: E402 - kept next to the step it adds

DEMO_STEPS.append(("Service Desk: services, settings, tickets in every status", seed_servicedesk))

from crm.demo_deals import seed_deals  # noqa: E402 - kept next to the step it adds

DEMO_STEPS.append(("CRM: deals in every stage of «Заключение договора», with their tasks", seed_deals))

from crm.demo_regular import seed_regular_payments  # noqa: E402 - kept next to the step it adds

DEMO_STEPS.append(("CRM: regular payments at every stage, invoices sent, a renewal due soon", seed_regular_payments))
