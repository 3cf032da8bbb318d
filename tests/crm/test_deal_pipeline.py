"""«Заключение договора» from lead conversion to «Регулярные платежи», by time travel (issue 6 §4)."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from admin24 import timers, worktime
from admin24.models import Activity, GlobalConstant
from admin24.roles import Role
from admin24.workflow import MoveRefused, allowed_moves, move
from crm.models import Contract, ContractStage, Deal, RegularStage, Task
from crm.pipelines import contract as contract_pipeline
from crm.services.deals import deal_attach_file, deal_update
from crm.services.leads import lead_convert, lead_create
from crm.services.tasks import TaskCompletionError, task_complete
from notifications.models import Notification
from tests.crm.conftest import msk
from tests.factories import CompanyFactory, DepartmentFactory, UserFactory
from tests.told import titles

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name="file.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def set_user_constant(identifier, user):
    GlobalConstant.objects.filter(identifier=identifier).update(user=user)


def reminders(user):
    return titles(Notification.objects.filter(recipient=user, template="reminder").order_by("pk"))


def tick(moment):
    with time_machine.travel(moment, tick=False):
        timers.run_due_until_idle()


def open_task(deal, kind):
    return Task.objects.get(deal=deal, kind=kind, status=Task.Status.OPEN)


@pytest.fixture
def team(db):
    head = UserFactory(username="head", roles=[Role.SUPERVISOR])
    sales = DepartmentFactory(head=head)
    head.department = sales
    head.save(update_fields=["department"])
    manager = UserFactory(username="walker", roles=[Role.SALES_MANAGER], department=sales)
    clerk = UserFactory(username="clerk", roles=[Role.CLERK])
    director = UserFactory(username="director", roles=[Role.IT_DIRECTOR])
    set_user_constant("Clerk", clerk)
    set_user_constant("IT_Director", director)
    return {"head": head, "manager": manager, "clerk": clerk, "director": director}


def test_one_deal_walks_from_the_lead_to_regular_payments(team):
    manager, head, clerk, director = team["manager"], team["head"], team["clerk"], team["director"]

    # Monday 10 January 2028: the lead is qualified and converted.
    with time_machine.travel(msk(2028, 1, 10, 10), tick=False):
        lead = lead_create(
            by=manager, title="Абонентка для «Ромашки»", email="olga@romashka.example", company_name="ООО «Ромашка»"
        )
        deal = lead_convert(lead=lead, by=manager)
        proposal = open_task(deal, Task.Kind.PROPOSAL)
        assert deal.stage == ContractStage.PROPOSAL
        assert proposal.responsible == manager
        assert proposal.deadline == msk(2028, 1, 11, 18)  # the end of the next working day

        with pytest.raises(TaskCompletionError, match=r"commercial proposal|коммерческое предложение"):
            task_complete(task=proposal, by=manager)

    # Friday evening, after hours: the proposal is attached and the task done.
    with time_machine.travel(msk(2028, 1, 14, 19, 30), tick=False):
        deal_attach_file(deal=deal, by=manager, kind="proposal", upload=pdf("kp.pdf"))
        task_complete(task=proposal, by=manager)
        deal.refresh_from_db()
        assert deal.stage == ContractStage.FEEDBACK

    tick(msk(2028, 1, 23, 19, 30))  # day 9
    tick(msk(2028, 1, 24, 19, 30))  # day 10, but after hours
    assert reminders(manager) == []
    tick(msk(2028, 1, 25, 9, 0))  # the next working moment
    assert len(reminders(manager)) == 1 and reminders(head) == []
    tick(msk(2028, 2, 3, 19, 30))  # day 20, after hours
    assert reminders(head) == []
    tick(msk(2028, 2, 4, 9, 0))
    assert len(reminders(head)) == 1 and len(reminders(manager)) == 1

    # The client agrees: the Clerk drafts the contract.
    with time_machine.travel(msk(2028, 2, 4, 10), tick=False):
        move(deal, ContractStage.CONTRACT, by=manager)
        drafting = open_task(deal, Task.Kind.CONTRACT)
        assert drafting.responsible == clerk
        with pytest.raises(TaskCompletionError) as refused:
            task_complete(task=drafting, by=clerk)
        assert len(refused.value.missing) == 2  # the contract file and its date
        deal_attach_file(deal=deal, by=clerk, kind="contract", upload=pdf("dogovor.pdf"))
        with pytest.raises(TaskCompletionError) as refused:
            task_complete(task=drafting, by=clerk)
        assert len(refused.value.missing) == 1
    tick(msk(2028, 3, 1, 12))  # long after day 20: the feedback reminders are not repeated
    assert len(reminders(head)) == 1 and len(reminders(manager)) == 1

    # Monday 7 February: the contract of 31 January is signed.
    with time_machine.travel(msk(2028, 2, 7, 10), tick=False):
        deal_update(deal=deal, by=clerk, contract_date=datetime.date(2028, 1, 31))
        task_complete(task=drafting, by=clerk)
        deal.refresh_from_db()
        assert deal.stage == ContractStage.AWAITING_PAYMENT

    tick(msk(2028, 2, 9, 9, 59))
    assert len(reminders(manager)) == 1
    tick(msk(2028, 2, 9, 10))  # day 2
    tick(msk(2028, 2, 11, 10))  # day 4
    assert len(reminders(manager)) == 3
    tick(msk(2028, 2, 13, 10))  # day 6 is a Sunday
    assert len(reminders(manager)) == 3
    tick(msk(2028, 2, 14, 9))
    assert len(reminders(manager)) == 4

    with time_machine.travel(msk(2028, 2, 14, 12), tick=False):
        deal_update(deal=deal, by=manager, payment_received=True)
        deal.refresh_from_db()
        assert deal.stage == ContractStage.PAID
    tick(msk(2028, 2, 25, 12))
    assert len(reminders(manager)) == 4  # none after the payment

    # The IT director audits the client's infrastructure.
    with time_machine.travel(msk(2028, 2, 15, 10), tick=False):
        move(deal, ContractStage.AUDIT, by=manager)
        audit = open_task(deal, Task.Kind.AUDIT)
        assert audit.responsible == director
        items = [item.text for item in audit.checklist.all()]
        assert len(items) == 10 and items[0] == "Контакты сотрудников клиента"
        task_complete(task=audit, by=director)
        deal.refresh_from_db()
        assert deal.stage == ContractStage.CLOSING_DOCS
        documents = open_task(deal, Task.Kind.CLOSING_DOCS)
        assert documents.responsible == manager

    # 31 January + one month = 29 February 2028, at the start of the working day.
    tick(msk(2028, 2, 29, 8, 59))
    deal.refresh_from_db()
    assert (deal.pipeline, deal.stage) == ("contract", ContractStage.CLOSING_DOCS)
    assert not Contract.objects.exists()

    tick(msk(2028, 2, 29, 9))
    deal.refresh_from_db()
    assert (deal.pipeline, deal.stage) == ("regular", RegularStage.INVOICE_FORMING)
    assert deal.won_at == msk(2028, 2, 29, 9)
    contract = deal.contract
    assert (contract.signed_on, contract.company, contract.contact) == (
        datetime.date(2028, 1, 31),
        deal.company,
        deal.contact,
    )
    assert contract.contract_file.name == deal.contract_file.name
    moves = [
        (entry.data["from"], entry.data["to"])
        for entry in Activity.objects.filter(verb=Activity.Verb.MOVED, target_id=deal.pk).order_by("pk")
        if entry.target_type.model == "deal"
    ]
    assert moves == [
        ("proposal", "feedback"),
        ("feedback", "contract"),
        ("contract", "awaiting_payment"),
        ("awaiting_payment", "paid"),
        ("paid", "audit"),
        ("audit", "closing_docs"),
        ("closing_docs", "invoice_forming"),
    ]


@pytest.mark.parametrize(
    ("signed", "payment_date"),
    [
        (datetime.date(2028, 1, 31), datetime.date(2028, 2, 29)),
        (datetime.date(2027, 1, 31), datetime.date(2027, 2, 28)),
        (datetime.date(2027, 3, 31), datetime.date(2027, 4, 30)),
        (datetime.date(2027, 12, 15), datetime.date(2028, 1, 15)),
    ],
)
def test_the_next_payment_date_is_a_month_later_clamped_to_the_months_end(signed, payment_date):
    assert worktime.add_months(signed, 1) == payment_date


def deal_at(stage, manager, **fields):
    return Deal.objects.create(title="Сделка", responsible=manager, stage=stage, **fields)


def test_a_pause_ending_on_a_sunday_ends_on_monday_morning(team):
    deal = deal_at(ContractStage.CLOSING_DOCS, team["manager"], contract_date=datetime.date(2027, 1, 31))
    # 28 February 2027 is a Sunday.
    assert contract_pipeline.pause_end(deal) == msk(2027, 3, 1, 9)


def test_without_a_clerk_the_manager_drafts_and_administrators_hear_once(db):
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    admins = [UserFactory(roles=[Role.ADMINISTRATOR]) for _ in range(2)]
    first = deal_at(ContractStage.FEEDBACK, manager)
    second = deal_at(ContractStage.FEEDBACK, manager)

    move(first, ContractStage.CONTRACT, by=manager)
    move(second, ContractStage.CONTRACT, by=manager)

    assert open_task(first, Task.Kind.CONTRACT).responsible == manager
    assert open_task(second, Task.Kind.CONTRACT).responsible == manager
    for admin in admins:
        assert Notification.objects.filter(recipient=admin, template="constant_missing").count() == 1


def test_lost_cancels_the_pending_robots_and_closes_the_automatic_tasks(team):
    manager = team["manager"]
    with time_machine.travel(msk(2028, 2, 7, 10), tick=False):
        deal = deal_at(ContractStage.CONTRACT, manager, contract_date=datetime.date(2028, 2, 7))
        manual = Task.objects.create(title="Позвонить лично", deal=deal, responsible=manager)
        move(deal, ContractStage.AWAITING_PAYMENT, by=manager)
        move(deal, ContractStage.LOST, by=manager, reason="Дорого: выбрали фрилансера")
    tick(msk(2028, 3, 30, 12))

    deal.refresh_from_db()
    assert deal.stage == ContractStage.LOST and deal.lost_reason.name == "Дорого"
    assert reminders(manager) == []
    assert not Task.objects.filter(deal=deal, is_automatic=True, status=Task.Status.OPEN).exists()
    manual.refresh_from_db()
    assert manual.is_open


def test_lost_needs_a_reason_from_the_list(team):
    deal = deal_at(ContractStage.FEEDBACK, team["manager"])

    with pytest.raises(MoveRefused, match="Дорого"):
        move(deal, ContractStage.LOST, by=team["manager"], reason="просто так")
    with pytest.raises(MoveRefused):
        move(deal, ContractStage.LOST, by=team["manager"])


def test_a_suspended_deal_resumes_where_it_stopped_and_reruns_its_robots(team):
    manager = team["manager"]
    deal = deal_at(ContractStage.CONTRACT, manager)
    move(deal, ContractStage.SUSPENDED, by=manager, reason="Клиент в отпуске")
    assert not Task.objects.filter(deal=deal, status=Task.Status.OPEN).exists()

    assert ContractStage.PROPOSAL not in allowed_moves(deal, manager)
    with pytest.raises(MoveRefused):
        move(deal, ContractStage.FEEDBACK, by=manager)
    move(deal, ContractStage.CONTRACT, by=manager)

    assert open_task(deal, Task.Kind.CONTRACT).responsible == team["clerk"]


def test_only_supervisors_and_administrators_move_a_deal_back(team):
    manager, head = team["manager"], team["head"]
    deal = deal_at(ContractStage.AWAITING_PAYMENT, manager, contract_date=datetime.date(2028, 2, 7))

    with pytest.raises(MoveRefused, match=r"supervisor|руководитель"):
        move(deal, ContractStage.CONTRACT, by=manager)
    move(deal, ContractStage.CONTRACT, by=head)

    assert deal.stage == ContractStage.CONTRACT
    assert open_task(deal, Task.Kind.CONTRACT).responsible == team["clerk"]


def test_awaiting_payment_needs_the_contract_date(team):
    deal = deal_at(ContractStage.CONTRACT, team["manager"])

    with pytest.raises(MoveRefused, match=r"contract date|дата договора"):
        move(deal, ContractStage.AWAITING_PAYMENT, by=team["manager"])


def test_a_deal_whose_company_was_emptied_waits_and_its_manager_hears_why(team):
    manager = team["manager"]
    with time_machine.travel(msk(2028, 2, 15, 10), tick=False):
        deal = deal_at(ContractStage.PAID, manager, contract_date=datetime.date(2028, 1, 31), company=CompanyFactory())
        move(deal, ContractStage.CLOSING_DOCS, by=manager)
        Deal.objects.filter(pk=deal.pk).update(company=None)

    tick(msk(2028, 2, 29, 9))
    deal.refresh_from_db()
    assert (deal.pipeline, deal.stage) == ("contract", ContractStage.CLOSING_DOCS)
    assert len(reminders(manager)) == 1

    Deal.objects.filter(pk=deal.pk).update(company=CompanyFactory())
    tick(msk(2028, 3, 1, 9))
    deal.refresh_from_db()
    assert (deal.pipeline, deal.stage) == ("regular", RegularStage.INVOICE_FORMING)


def test_closing_documents_need_the_company(team):
    deal = deal_at(ContractStage.PAID, team["manager"], contract_date=datetime.date(2028, 1, 31))

    with pytest.raises(MoveRefused):
        move(deal, ContractStage.CLOSING_DOCS, by=team["manager"])
