import pytest
from django.core.exceptions import ValidationError

from admin24.normalize import normalize_phone
from admin24.requisites import is_valid_inn
from crm.services.directory import company_create, contact_create, contact_update, find_contacts
from tests.factories import ContactFactory


@pytest.mark.parametrize("written", ["+7 (999) 123-45-67", "89991234567", "9991234567", "7 999 123 45 67"])
def test_russian_phone_formats_normalise_to_one_number(written):
    assert normalize_phone(written) == "+79991234567"


def test_foreign_and_empty_phones_normalise_sensibly():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("нет") == ""


@pytest.mark.parametrize("inn", ["7707083893", "500100732259"])
def test_valid_inns_pass(inn):
    assert is_valid_inn(inn)


@pytest.mark.parametrize("inn", ["7707083894", "500100732258", "12345", "77070838931", "770708389a"])
def test_wrong_inns_fail(inn):
    assert not is_valid_inn(inn)


def test_a_company_with_a_wrong_inn_is_refused_with_a_message(manager):
    with pytest.raises(ValidationError) as error:
        company_create(by=manager, name="ООО «Ошибка»", inn="7707083894")
    assert "inn" in error.value.message_dict


def test_find_contacts_ignores_case_and_phone_format(db):
    olga = ContactFactory(emails=["Olga@Example.org"], phones=["+7 (999) 123-45-67"])
    ContactFactory(emails=["other@example.org"])

    assert list(find_contacts(email="OLGA@example.ORG")) == [olga]
    assert list(find_contacts(phone="89991234567")) == [olga]
    assert list(find_contacts(email="nobody@example.org")) == []
    assert list(find_contacts()) == []


def test_emails_keep_their_order_and_the_first_is_the_invoice_address(manager):
    contact = contact_create(by=manager, full_name="Пётр", emails=["b@example.org", "a@example.org"])
    assert contact.first_email == "b@example.org"

    contact_update(contact=contact, by=manager, emails=["a@example.org", "b@example.org"])
    assert contact.first_email == "a@example.org"


def test_a_contact_with_a_known_phone_is_flagged_not_merged(manager):
    original = ContactFactory(phones=["8 999 123 45 67"])

    twin = contact_create(by=manager, full_name="Тоже Пётр", phones=["+79991234567"])

    assert twin.pk != original.pk
    assert twin.duplicate_of == original
