"""On a fresh `seed_demo`, an administrator opens every report and sees filled charts."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from admin24.models import User

pytestmark = pytest.mark.django_db

# Tables that may be all zeros on the demo: nothing is stuck or ending on the day it is seeded.
MAY_BE_EMPTY = {"stuck_deals", "contracts_ending_list"}
PAGES = [
    reverse("servicedesk:reports"),
    reverse("crm:reports"),
    reverse("crm:report", args=["deals"]),
    reverse("crm:report", args=["regular"]),
]


def test_every_report_chart_has_numbers_after_seed_demo(client, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    client.force_login(User.objects.get(username="admin"))
    today = timezone.localdate()
    first = today - datetime.timedelta(days=90)
    empty = []
    for url in PAGES:
        # The page as it opens (the last 30 days), and the last 90 days.
        for params in ({}, {"period": "custom", "date_from": first.isoformat(), "date_to": today.isoformat()}):
            response = client.get(url, params)
            assert response.status_code == 200
            empty += [
                (url, table.key, bool(params))
                for table in response.context["report"].tables
                if table.is_empty and table.key not in MAY_BE_EMPTY
            ]
    assert empty == []
