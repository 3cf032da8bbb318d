import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from notifications.models import Notification
from notifications.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def tell(user, title="Сделка ждёт ответа", link="/crm/deals/7/", **kwargs):
    notify(user, "reminder", {"title": title, "text": "Позвоните клиенту.", "link": link}, channels=(), **kwargs)
    return Notification.objects.filter(recipient=user).latest("id")


def bell_count(html: str) -> int:
    match = re.search(r'data-unread="(\d+)"', html)
    return int(match.group(1)) if match else 0


@pytest.fixture
def user(client):
    user = UserFactory()
    client.force_login(user)
    return user


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_bell_on_every_page_counts_my_unread_notifications(client, user):
    tell(user)
    tell(user)
    tell(UserFactory())
    home = client.get(reverse("home")).content.decode()
    assert 'id="notification-bell"' in home
    assert bell_count(home) == 2


def test_the_bell_refreshes_itself_through_htmx(client, user):
    home = client.get(reverse("home")).content.decode()
    assert 'hx-get="/notifications/bell/"' in home
    assert 'hx-trigger="every 30s"' in home
    assert bell_count(home) == 0
    tell(user)
    assert bell_count(client.get(reverse("notifications:bell"), HTTP_HX_REQUEST="true").content.decode()) == 1


def test_the_bell_stays_quiet_once_the_session_has_ended(client):
    assert client.get(reverse("notifications:bell"), HTTP_HX_REQUEST="true").status_code == 204


def test_the_page_lists_my_notifications_newest_first_and_not_other_peoples(client, user):
    tell(user, title="Первое")
    tell(user, title="Второе")
    tell(UserFactory(), title="Чужое")
    page = client.get(reverse("notifications:list")).content.decode()
    assert page.index("Второе") < page.index("Первое")
    assert "Чужое" not in page


def test_the_page_has_pages(client, user):
    for number in range(25):
        tell(user, title=f"Напоминание №{number}")
    first = client.get(reverse("notifications:list")).content.decode()
    second = client.get(reverse("notifications:list"), {"page": 2}).content.decode()
    assert "Напоминание №24" in first
    assert "Напоминание №4<" not in first
    assert "Напоминание №4<" in second
    assert client.get(reverse("notifications:list"), {"page": "junk"}).status_code == 200


def test_marking_one_read_lowers_the_count(client, user):
    notification = tell(user)
    tell(user)
    response = client.post(reverse("notifications:read", args=[notification.pk]), {"next": "/notifications/?page=1"})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/?page=1"
    assert bell_count(client.get(reverse("notifications:list")).content.decode()) == 1
    notification.refresh_from_db()
    assert notification.is_read


def test_marking_all_read_empties_the_unread_filter(client, user):
    tell(user)
    tell(user)
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert bell_count(response.content.decode()) == 0
    unread = client.get(reverse("notifications:list"), {"unread": "1"}).content.decode()
    assert "Сделка ждёт ответа" not in unread


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, user):
    notification = tell(user, link="/crm/deals/7/")
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == "/crm/deals/7/"
    notification.refresh_from_db()
    assert notification.is_read


def test_a_link_to_another_site_is_not_followed(client, user):
    notification = tell(user, link="https://evil.example.com/")
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_marking_read_needs_a_post_with_a_csrf_token(user):
    from django.test import Client

    notification = tell(user)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.get(reverse("notifications:read", args=[notification.pk])).status_code == 405
    assert strict.post(reverse("notifications:read", args=[notification.pk])).status_code == 403
    notification.refresh_from_db()
    assert not notification.is_read


def test_someone_elses_notification_cannot_be_marked_or_opened(client, user):
    theirs = tell(UserFactory())
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_the_page_needs_a_login(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_api_lists_only_my_notifications_and_filters_unread(user):
    read = tell(user, title="Прочитанное")
    tell(user, title="Новое")
    tell(UserFactory(), title="Чужое")
    api = api_for(user)
    api.post(f"/api/v1/notifications/{read.pk}/read/")
    everything = api.get("/api/v1/notifications/").json()
    assert [item["title"] for item in everything["results"]] == ["Новое", "Прочитанное"]
    unread = api.get("/api/v1/notifications/", {"unread": "true"}).json()
    assert [(item["title"], item["unread"]) for item in unread["results"]] == [("Новое", True)]
    assert api.get("/api/v1/notifications/", {"unread": "maybe"}).status_code == 400


def test_the_api_marks_one_and_all_read(user):
    first = tell(user)
    tell(user)
    api = api_for(user)
    response = api.post(f"/api/v1/notifications/{first.pk}/read/")
    assert response.status_code == 200
    assert response.json()["unread"] is False
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_the_api_hides_other_peoples_notifications(user):
    theirs = tell(UserFactory())
    api = api_for(user)
    assert api.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 0}
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_the_api_needs_authentication():
    assert APIClient().get("/api/v1/notifications/").status_code in (401, 403)
