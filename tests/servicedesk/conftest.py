import datetime
import time
import zoneinfo

import pytest
from django.core import signing

from admin24.models import Department
from admin24.roles import Role
from servicedesk.intake import guards
from servicedesk.models import DeskSettings
from tests.factories import ServiceFactory, UserFactory

MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def msk(year, month, day, hour=0, minute=0, second=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=MSK)


def stamp(seconds_ago: int = 10) -> str:
    """A render stamp as the form would have signed it ``seconds_ago``."""
    return signing.Signer(salt=guards.STAMP_SALT).sign(str(int(time.time()) - seconds_ago))


@pytest.fixture
def desk(db):
    desk = DeskSettings.load()
    desk.header_company_name = "Админ24"
    desk.legal_name = "ООО «Админ24»"
    desk.save()
    return desk


@pytest.fixture
def support_head(db):
    return UserFactory(username="support_head", roles=[Role.SUPPORT_ENGINEER, Role.SUPERVISOR])


@pytest.fixture
def engineer(db, support_head):
    department = Department.objects.create(name="Поддержка", head=support_head)
    support_head.department = department
    support_head.save()
    return UserFactory(username="engineer", roles=[Role.SUPPORT_ENGINEER], department=department)


@pytest.fixture
def service(db, engineer):
    return ServiceFactory(name="Обслуживание компьютеров", responsible=engineer)


@pytest.fixture
def form_data(service):
    return valid_post(service)


def valid_post(service) -> dict:
    """What a client who filled the public form in properly posts (a fresh form stamp)."""
    return {
        "service": str(service.pk),
        "name": "Пётр Клиентов",
        "email": "petr@client.ru",
        "phone": "+7 (999) 123-45-67",
        "company": "ООО «Клиент»",
        "subject": "Не печатает принтер",
        "description": "Принтер в бухгалтерии не печатает с утра.",
        "consent_desk": "on",
        "consent_company": "on",
        "website": "",
        "rendered": stamp(),
    }
