"""The walkthrough's smaller defects (issue 13 §7), kept from coming back."""

import pytest

from admin24.roles import Role
from crm.models import Task
from servicedesk import services
from tests.factories import DealFactory, LeadFactory, ServiceFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_my_tasks_has_a_heading_and_links_deals_as_it_links_leads(client):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    deal = DealFactory(title="Договор с «Ромашкой»", responsible=manager)
    lead = LeadFactory(title="Звонок из «Вектора»", responsible=manager)
    TaskFactory(title="Подготовить КП", deal=deal, responsible=manager, status=Task.Status.OPEN)
    TaskFactory(title="Позвонить", lead=lead, responsible=manager, status=Task.Status.OPEN)
    client.force_login(manager)

    page = client.get("/crm/tasks/").content.decode()

    assert '<h1 class="h4">Мои задачи</h1>' in page
    assert f'href="/crm/deals/{deal.pk}/">Договор с «Ромашкой»</a>' in page
    assert f'href="/crm/leads/{lead.pk}/">Звонок из «Вектора»</a>' in page


def test_the_defer_box_and_the_resume_button_say_different_things(client):
    engineer = UserFactory(roles=[Role.SUPPORT_ENGINEER])
    ticket = services.create_ticket(service=ServiceFactory(responsible=engineer), subject="Почта", email="c@c.ru")
    services.ticket_start(ticket=ticket, by=engineer)
    client.force_login(engineer)

    in_work = client.get(f"/servicedesk/tickets/{ticket.pk}/").content.decode()
    services.ticket_defer(ticket=ticket, by=engineer)
    deferred = client.get(f"/servicedesk/tickets/{ticket.pk}/").content.decode()

    assert "Отложить до" in in_work and "Вернуть в работу" not in in_work
    assert 'data-action="resume">Вернуть в работу<' in deferred


# SPEC §1 and §2, word for word.
SPEC_STAGES = {
    "leads": {
        "new": "Новая заявка",
        "in_progress": "В обработке",
        "no_answer": "Недозвон",
        "qualified": "Целевой клиент",
        "wrong_contacts": "Неверные контактные данные",
        "spam": "Спам",
        "not_provided": "Услуги не предоставляются",
        "unreachable": "Не выходит на связь",
        "duplicate": "Дублирование клиента",
    },
    "contract": {
        "proposal": "Формирование КП",
        "feedback": "Обратная связь",
        "contract": "Заключение договора",
        "awaiting_payment": "Ожидание оплаты",
        "paid": "Оплата получена",
        "audit": "Проведение аудита IT инфраструктуры",
        "closing_docs": "Получение закрывающих документов",
        "lost": "Сделка не заключена",
        "suspended": "Обработка приостановлена",
    },
    "regular": {
        "invoice_forming": "Формирование счёта",
        "invoice_sent": "Счёт отправлен",
        "invoice_paid": "Счёт оплачен",
        "closing_docs": "Закрывающие документы",
        "failed": "Сделка провалена",
    },
    "tickets": {"new": "Новая", "in_progress": "Выполняется", "deferred": "Отложена", "done": "Сделана"},
}


@pytest.mark.parametrize("key", SPEC_STAGES)
def test_stage_labels_are_the_specs(key):
    from django.utils import translation

    from crm.pipelines import contract, leads, regular
    from servicedesk import pipeline as tickets

    pipeline = {"leads": leads, "contract": contract, "regular": regular, "tickets": tickets}[key].PIPELINE
    with translation.override("ru"):
        labels = {stage.slug: str(stage.label) for stage in pipeline.stages}
    assert labels == SPEC_STAGES[key]


def test_the_django_admin_speaks_grammatical_russian_about_models(client):
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))

    page = client.get("/admin/admin24/globalconstant/").content.decode()

    assert "Выберите объект типа «глобальная константа» для изменения" in page
    assert "Добавить: глобальная константа" in page
    assert "Глобальные константы: 8" in page
    for wrong in ("Выберите глобальная константа", "Добавить глобальная константа", "8 глобальные константы"):
        assert wrong not in page
    assert '<td class="field-type">число</td>' in page and "номер" not in page


def test_the_admin_confirms_a_change_without_a_wrong_gender(client):
    from admin24.models import GlobalConstant

    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))
    constant = GlobalConstant.objects.get(identifier="LessReminderPeriod")
    page = client.get(f"/admin/admin24/globalconstant/{constant.pk}/change/").content.decode()
    assert "Изменить объект типа «глобальная константа»" in page
    response = client.post(
        f"/admin/admin24/globalconstant/{constant.pk}/change/",
        {"identifier": constant.identifier, "name": constant.name, "type": "number", "value": "15"},
        follow=True,
    )
    message = response.content.decode().split('class="success">')[1].split("</li>")[0]
    assert message.startswith("Объект «<a ") and message.endswith("» типа «глобальная константа» успешно изменён.")


def test_a_deals_file_and_the_won_contract_read_as_russian():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils.translation import gettext, override

    from admin24 import activity
    from crm.services.deals import deal_attach_file

    manager = UserFactory(roles=[Role.SALES_MANAGER])
    deal = DealFactory(responsible=manager)
    deal_attach_file(deal=deal, by=manager, kind="proposal", upload=SimpleUploadedFile("kp.pdf", b"%PDF-1.4\n%%EOF\n"))

    with override("ru"):
        assert activity.timeline(deal).first().said == "Приложен файл (коммерческое предложение): kp.pdf"
    with override("ru"):
        won = gettext("The first month is paid and the closing documents are due: the deal is won.")
    assert won == "Первый месяц оплачен, пора оформлять закрывающие документы: сделка выиграна."


def test_the_public_lead_form_names_the_company_and_links_the_consent_text(client):
    from django.urls import reverse

    from servicedesk.models import DeskSettings

    desk = DeskSettings.load()
    desk.header_company_name = "Админ24 — IT-обслуживание"
    desk.save()
    url = reverse("crm:public-lead-form")

    page = client.get(url).content.decode()
    embedded = client.get(url + "?embed=1").content.decode()

    assert "data-company-header>Админ24 — IT-обслуживание<" in page
    assert "data-company-header" not in embedded  # the client's own site is around it
    assert '<a href="/desk/consent/" target="_blank" rel="noopener" data-consent-link>текст согласия</a>' in page
    assert client.get("/desk/consent/").status_code == 200


@pytest.mark.parametrize(
    ("language", "contract", "ends"),
    [
        ("ru", "Договор № 2026-00012 от 29.10.2026", "29.10.2027"),
        ("en", "Contract No. 2026-00012 of 29 Oct 2026", "29 Oct 2027"),
    ],
)
def test_a_deals_contract_has_its_dates_in_one_format_per_language(client, settings, language, contract, ends):
    import datetime

    from crm.models import Contract, DealPipeline

    manager = UserFactory(roles=[Role.SALES_MANAGER], language=language)
    company = Contract._meta.get_field("company").related_model.objects.create(name="ООО «Ромашка»")
    signed = Contract.objects.create(
        number="2026-00012",
        company=company,
        signed_on=datetime.date(2026, 10, 29),
        ends_on=datetime.date(2027, 10, 29),
    )
    deal = DealFactory(
        responsible=manager, company=company, contract=signed, pipeline=DealPipeline.REGULAR, stage="invoice_sent"
    )
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = client.get(f"/crm/deals/{deal.pk}/").content.decode()

    assert contract in page and ends in page


def test_a_card_on_the_board_writes_its_moment_per_language():
    import datetime

    from django.utils import translation

    from admin24.boards.board import card_moment

    moment = datetime.datetime(2026, 10, 29, 11, 5, tzinfo=datetime.UTC)
    with translation.override("ru"):
        assert card_moment(moment) == "29.10 14:05"  # Moscow time
    with translation.override("en"):
        assert card_moment(moment) == "29 Oct 14:05"
