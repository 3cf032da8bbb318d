import datetime
import zoneinfo

import pytest

from admin24.roles import Role
from tests.factories import UserFactory

MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def msk(year, month, day, hour=0, minute=0, second=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=MSK)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", roles=[Role.SALES_MANAGER])
