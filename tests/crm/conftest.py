import datetime
import zoneinfo

import pytest

from admin24.roles import Role
from tests.factories import DepartmentFactory, UserFactory

MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def msk(year, month, day, hour=0, minute=0, second=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=MSK)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", roles=[Role.SALES_MANAGER])


@pytest.fixture
def team(db):
    """A sales manager («walker») and the head of his department («head»), his supervisor."""
    head = UserFactory(username="head", roles=[Role.SUPERVISOR])
    sales = DepartmentFactory(head=head)
    head.department = sales
    head.save(update_fields=["department"])
    manager = UserFactory(username="walker", roles=[Role.SALES_MANAGER], department=sales)
    return {"head": head, "manager": manager}
