import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.models import Notification, OutboxMessage
from notifications.services import notify_staff
from tests.factories import DealFactory, UserFactory
from tests.told import email as told_email
from tests.told import told

pytestmark = pytest.mark.django_db


def test_a_staff_notification_links_to_the_card_of_what_it_is_about():
    user, deal = UserFactory(), DealFactory()
    due = timezone.make_aware(datetime.datetime(2030, 5, 6, 14, 0))

    [email] = notify_staff(deal, to=user, title="Сделка ждёт", text="Позвоните клиенту.", due=due, key="k:1")

    note = Notification.objects.get(recipient=user)
    title, text = told(note)
    assert (note.template, title, note.link) == ("reminder", "Сделка ждёт", f"/crm/deals/{deal.pk}/")
    assert text.startswith("Позвоните клиенту.")
    assert (note.target_type.model, note.target_id) == ("deal", deal.pk)
    email = told_email(email)
    assert email.template == "reminder" and email.subject == "Сделка ждёт"
    assert f"{settings.SITE_URL}/crm/deals/{deal.pk}/" in email.body_text
    assert "2030" in email.body_text


def test_the_same_key_tells_once_and_nobody_is_told_without_a_recipient():
    user, deal = UserFactory(), DealFactory()
    notify_staff(deal, to=user, title="Раз", text="Текст", key="k:2")
    notify_staff(deal, to=user, title="Раз", text="Текст", key="k:2")

    assert notify_staff(deal, to=None, title="Никому", text="Текст", key=None) == []
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
