"""Global constants: seeded as SPEC §0 lists them, read typed and cached, edited by administrators."""

import pytest

from admin24 import constants
from admin24.demo import seed_structure
from admin24.models import GlobalConstant
from admin24.roles import Role
from config.demo import DEMO_STEPS
from tests.factories import UserFactory
from tests.told import email as told_email
from tests.told import told as told_notice

pytestmark = pytest.mark.django_db

ADMIN_URL = "/admin/admin24/globalconstant/"


def constant(identifier: str) -> GlobalConstant:
    return GlobalConstant.objects.get(identifier=identifier)


def test_the_eight_constants_of_the_spec_are_seeded():
    seeded = {c.identifier: c for c in GlobalConstant.objects.all()}
    assert {identifier: (c.name, c.type) for identifier, c in seeded.items()} == {
        "ActFormingDate": ("Срок оформления закрывающих документов — в днях", "number"),
        "BillText": ("Текст письма для отправки счетов", "text"),
        "BillTheme": ("Тема письма для отправки счетов", "string"),
        "Clerk": ("Делопроизводитель", "user"),
        "IT_Director": ("IT Директор", "user"),
        "LargeReminderPeriod": ("Срок напоминания (больший) — в днях", "number"),
        "LessReminderPeriod": ("Срок напоминания (меньший) — в днях", "number"),
        "NotificationStep": ("Порог изменения срока напоминания — в месяцах", "number"),
    }
    assert not any(c.required or c.multiple for c in seeded.values())
    assert all(c.description for c in seeded.values())
    assert "{invoice_number}" in seeded["BillText"].description


def test_values_come_back_typed():
    assert constants.get("ActFormingDate") == 3
    assert constants.get("LargeReminderPeriod") == 30
    assert constants.get("LessReminderPeriod") == 14
    assert constants.get("NotificationStep") == 6
    assert constants.get("BillTheme") == "Счёт на оплату услуг"
    assert constants.get("BillText").startswith("Здравствуйте!")
    assert constants.get("Clerk") is None
    assert constants.get("IT_Director") is None


def test_a_user_constant_gives_the_user_while_they_are_active():
    clerk = UserFactory()
    row = constant("Clerk")
    row.user = clerk
    row.save()
    assert constants.get("Clerk") == clerk
    clerk.is_active = False
    clerk.save()
    assert constants.get("Clerk") is None


def test_an_unknown_identifier_raises():
    with pytest.raises(constants.UnknownConstant, match="NoSuchThing"):
        constants.get("NoSuchThing")
    with pytest.raises(KeyError):
        constants.get("NoSuchThing")


def test_reads_are_cached_and_a_save_is_seen_at_once(django_assert_num_queries):
    assert constants.get("LargeReminderPeriod") == 30
    with django_assert_num_queries(0):
        assert constants.get("LargeReminderPeriod") == 30
    row = constant("LargeReminderPeriod")
    row.value = "45"
    row.save()
    assert constants.get("LargeReminderPeriod") == 45


def test_a_deleted_constant_is_unknown_at_once():
    assert constants.get("BillTheme")
    constant("BillTheme").delete()
    with pytest.raises(constants.UnknownConstant):
        constants.get("BillTheme")


def test_a_renamed_constant_is_not_read_under_its_old_name():
    extra = GlobalConstant.objects.create(identifier="OldName", name="x", type="string", value="v")
    assert constants.get("OldName") == "v"
    extra.identifier = "NewName"
    extra.save()
    with pytest.raises(constants.UnknownConstant):
        constants.get("OldName")
    assert constants.get("NewName") == "v"


def test_seed_demo_picks_the_demo_clerk_and_it_director_but_keeps_a_choice_made():
    chosen = UserFactory()
    row = constant("IT_Director")
    row.user = chosen
    row.save()
    assert ("global constants: clerk and IT director", constants.assign_demo_users) in DEMO_STEPS
    seed_structure()
    assert constants.assign_demo_users() == ["Clerk"]
    assert constants.get("Clerk").username == "clerk"
    assert constants.get("IT_Director") == chosen


# --- Admin -------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR], is_staff=True))
    return client


def post_change(client, identifier: str, /, **fields):
    row = constant(identifier)
    data = {"name": row.name, "description": row.description, "_save": "Save", **fields}
    return client.post(f"{ADMIN_URL}{row.pk}/change/", data, headers={"accept-language": "en"})


def test_the_list_shows_each_constant_with_its_current_value(admin_client):
    page = admin_client.get(ADMIN_URL, headers={"accept-language": "en"}).content.decode()
    for identifier in constants.SEEDED_IDENTIFIERS:
        assert identifier in page
    assert "Счёт на оплату услуг" in page
    assert "— not set —" in page


def test_a_number_must_be_a_whole_number_not_below_zero(admin_client):
    for bad in ("abc", "-1", "2.5"):
        response = post_change(admin_client, "LargeReminderPeriod", value=bad)
        assert response.status_code == 200
        assert "Enter a whole number, 0 or greater." in response.content.decode()
    assert constants.get("LargeReminderPeriod") == 30
    response = post_change(admin_client, "LargeReminderPeriod", value=" 60 ")
    assert response.status_code == 302
    assert constants.get("LargeReminderPeriod") == 60


def test_a_number_gets_a_number_input_and_a_text_a_textarea(admin_client):
    number_page = admin_client.get(f"{ADMIN_URL}{constant('ActFormingDate').pk}/change/").content.decode()
    assert 'type="number"' in number_page
    assert constant("ActFormingDate").description in number_page
    text_page = admin_client.get(f"{ADMIN_URL}{constant('BillText').pk}/change/").content.decode()
    assert "<textarea" in text_page
    assert "{invoice_number}" in text_page


def test_a_user_constant_takes_only_an_active_user(admin_client):
    gone = UserFactory(is_active=False)
    response = post_change(admin_client, "Clerk", user=gone.pk)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert constants.get("Clerk") is None
    clerk = UserFactory(roles=[Role.CLERK])
    assert post_change(admin_client, "Clerk", user=clerk.pk).status_code == 302
    assert constants.get("Clerk") == clerk


def test_a_seeded_identifier_cannot_be_changed(admin_client):
    row = constant("ActFormingDate")
    post_change(admin_client, "ActFormingDate", identifier="Renamed", type="text", value="5")
    row.refresh_from_db()
    assert (row.identifier, row.type, row.value) == ("ActFormingDate", "number", "5")
    assert admin_client.get(f"{ADMIN_URL}{row.pk}/delete/").status_code == 403


def test_a_new_constant_needs_a_latin_identifier_and_a_value_of_its_type(admin_client):
    def add(**fields):
        data = {"name": "Проба", "description": "", "value": "", "user": "", **fields}
        return admin_client.post(f"{ADMIN_URL}add/", data, headers={"accept-language": "en"})

    page = add(identifier="1st-Константа", type="string").content.decode()
    assert "Latin letters, digits and underscores, starting with a letter." in page
    page = add(identifier="Days", type="number", value="abc").content.decode()
    assert "Enter a whole number, 0 or greater." in page
    page = add(identifier="Who", type="string", user=UserFactory().pk).content.decode()
    assert "Only user constants refer to a user." in page
    assert not GlobalConstant.objects.filter(identifier__in=["Days", "Who"]).exists()
    assert add(identifier="Grace_days", type="number", value="7").status_code == 302
    assert constants.get("Grace_days") == 7


def test_constants_are_for_administrators_only(client):
    client.force_login(UserFactory(roles=[Role.SALES_MANAGER], is_staff=True))
    assert client.get(ADMIN_URL).status_code == 403
    assert client.get(f"{ADMIN_URL}{constant('Clerk').pk}/change/").status_code == 403


# --- Falling back when a user constant is unset ---------------------------------------------------


def test_an_unset_user_constant_falls_back_and_tells_each_administrator_once():
    from notifications.models import Notification, OutboxMessage

    manager = UserFactory(roles=[Role.SALES_MANAGER])
    admin = UserFactory(roles=[Role.ADMINISTRATOR], language="en")
    root = UserFactory(is_superuser=True)
    UserFactory(roles=[Role.ADMINISTRATOR], is_active=False)

    assert constants.user_or_fallback("Clerk", fallback=manager) == manager
    assert constants.user_or_fallback("Clerk", fallback=manager) == manager

    told = Notification.objects.filter(template="constant_missing")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([admin.pk, root.pk])
    assert "Делопроизводитель" in told_notice(told.get(recipient=admin))[0]
    email = told_email(OutboxMessage.objects.get(recipient_user=admin, template="constant_missing"))
    assert f"The work went to {manager} instead." in email.body_text
    assert OutboxMessage.objects.filter(template="constant_missing").count() == 2


def test_a_chosen_user_constant_needs_no_fallback():
    from notifications.models import Notification

    clerk = UserFactory(roles=[Role.CLERK])
    UserFactory(roles=[Role.ADMINISTRATOR])
    row = constant("Clerk")
    row.user = clerk
    row.save()
    assert constants.user_or_fallback("Clerk", fallback=UserFactory()) == clerk
    assert not Notification.objects.exists()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_seeded_constant_opens_in_both_languages(admin_client, language):
    for row in GlobalConstant.objects.all():
        response = admin_client.get(f"{ADMIN_URL}{row.pk}/change/", headers={"accept-language": language})
        assert response.status_code == 200, row.identifier
        assert row.name in response.content.decode()
