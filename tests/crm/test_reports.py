"""The CRM reports on small data sets whose figures are worked out by hand in each test's docstring.

"Now" is Tuesday 24 November 2026, 12:00 Moscow time; the period is this month unless said.
Managers: ``manager`` (A) reads his own leads and deals only; ``manager_b`` (B) is another one.
"""

import csv
import datetime
import importlib
import io
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from admin24 import activity
from admin24.models import Activity
from admin24.roles import Role
from admin24.workflow import move
from crm.models import Contract, ContractStage, Deal, DealPipeline, LostReason, RegularStage
from crm.services.leads import lead_convert, lead_create
from tests.factories import CompanyFactory, DealFactory, LeadFactory, UserFactory

from .conftest import msk

pytestmark = pytest.mark.django_db

NOW = msk(2026, 11, 24, 12, 0)


@pytest.fixture
def manager_b(db):
    return UserFactory(username="manager_b", roles=[Role.SALES_MANAGER])


@pytest.fixture
def admin(db):
    return UserFactory(username="boss", roles=[Role.ADMINISTRATOR])


def page(client, user, name="crm:reports", *args, **params):
    params.setdefault("period", "this_month")
    client.force_login(user)
    client.cookies["django_language"] = "en"  # the labels below are read in English
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse(name, args=args), params)


def values(response, key) -> dict[str, list]:
    return {label: [cell.value for cell in cells] for label, cells in response.context["report"].table(key).rows}


def figures(response) -> dict:
    return {figure.label: figure.value for figure in response.context["report"].figures}


# --- leads ----------------------------------------------------------------------------------------


@pytest.fixture
def leads(manager, manager_b):
    """Received in November (all manager A's but L8):
    L1 web form, qualified, reached at once       L5 phone call, qualified (no ladder)
    L2 web form, qualified after 2 failed calls   L6 web form, in work after 1 failed call
    L3 email, spam, at once                       L7 Telegram, wrong contacts after 4 failed calls
    L4 email, unreachable after 5 failed calls    L8 web form, qualified at once — manager B's
    and L9, qualified in October (outside the period).
    All: 8 leads, 4 qualified (L1, L2, L5, L8) = 50 %; web form 4 leads, 3 qualified = 75 %.
    Ladder (not by phone): reached at attempt 1 — L1, L3, L8; at 3 — L2; at 5 — L7; unreachable L4;
    still being called L6. Manager A: 7 leads, 3 qualified = 42.9 %.
    """
    plan = [
        ("web_form", "qualified", 0, manager),
        ("web_form", "qualified", 2, manager),
        ("email", "spam", 0, manager),
        ("email", "unreachable", 5, manager),
        ("phone", "qualified", 0, manager),
        ("web_form", "in_progress", 1, manager),
        ("telegram", "wrong_contacts", 4, manager),
        ("web_form", "qualified", 0, manager_b),
    ]
    made = [
        LeadFactory(
            source=source, stage=stage, failed_calls=calls, responsible=who, created_at=msk(2026, 11, 3 + i, 10)
        )
        for i, (source, stage, calls, who) in enumerate(plan)
    ]
    made.append(LeadFactory(source="web_form", stage="qualified", responsible=manager, created_at=msk(2026, 10, 20)))
    return made


def test_the_lead_report_counts_the_funnel_by_hand(client, admin, leads):
    response = page(client, admin)
    assert response.status_code == 200
    assert figures(response) == {"Leads received": 8, "Qualified clients": 4, "Conversion": 50.0, "Still in work": 1}
    sources = values(response, "lead_sources")
    assert sources["web form"] == [4, 3, 75.0]
    assert sources["email"] == [2, 0, 0.0]
    assert sources["phone call"] == [1, 1, 100.0]
    assert sources["manual"] == [0, 0, None]
    stages = values(response, "lead_stages")
    assert stages["Qualified client"] == [4, 50.0] and stages["Spam"] == [1, 12.5]
    assert values(response, "lead_closing") == {
        "Wrong contact details": [1],
        "Spam": [1],
        "Services not provided": [0],
        "Unreachable": [1],
        "Duplicate client": [0],
    }
    assert values(response, "callback_ladder") == {
        "reached at attempt 1": [3],
        "reached at attempt 2": [0],
        "reached at attempt 3": [1],
        "reached at attempt 4": [0],
        "reached at attempt 5": [1],
        "reached after the ladder": [0],
        "unreachable": [1],
        "still being called": [1],
    }


def test_a_managers_lead_report_has_only_his_leads(client, manager, leads):
    response = page(client, manager)
    assert figures(response)["Leads received"] == 7
    assert figures(response)["Conversion"] == pytest.approx(300 / 7)
    assert values(response, "lead_sources")["web form"] == [3, 2, pytest.approx(200 / 3)]


def test_a_number_opens_the_filtered_lead_list(client, admin, leads):
    response = page(client, admin)
    [cells] = [cells for label, cells in response.context["report"].table("lead_sources").rows if label == "web form"]
    with time_machine.travel(NOW, tick=False):
        listed = client.get(cells[1].url)
    assert {row[0].pk for row in listed.context["rows"]} == {leads[0].pk, leads[1].pk, leads[7].pk}


# --- «Заключение договора» ----------------------------------------------------------------------------


def moves(deal, *steps):
    """The moves as the pipeline engine logs them, each at its moment with the time in the stage it
    left (since the previous move, or the deal's creation)."""
    entered = deal.created_at
    for moment, source, target in steps:
        with time_machine.travel(moment, tick=False):
            activity.record(
                target=deal,
                verb=Activity.Verb.MOVED,
                data={"from": source, "to": target},
                stay_seconds=(moment - entered).total_seconds(),
            )
        entered = moment


@pytest.fixture
def deals(manager, manager_b):
    """All created on Monday 2 November at 10:00.
    D1 (A) won: «КП» 2 days, «Обратная связь» 6, «Заключение договора» 2, «Ожидание оплаты» 1,
       «Оплата получена» 0, «Закрывающие документы» 3; then a regular move (not counted).
    D2 (A) lost «Дорого»: «КП» 4 days, «Обратная связь» 14.   D3 (A) lost «Дорого»: «КП» 1 day.
    D4 (B) at «Обратная связь» since 12 November (12 days: past the manager's 10): «КП» 10 days.
    D5 (A) at «КП».
    All: 5 deals, won 1, lost 2: win rate 33.3 %. Median days at «КП» (1, 2, 4, 10) = 3,
    at «Обратная связь» (6, 14) = 10. Manager A: D1, D2, D3, D5; «КП» (1, 2, 4) = 2; nothing stuck.
    """
    created = msk(2026, 11, 2, 10)
    expensive, _ = LostReason.objects.get_or_create(name="Дорого")
    common = {"created_at": created, "stage_changed_at": created}
    d1 = DealFactory(
        responsible=manager, pipeline=DealPipeline.REGULAR, stage=RegularStage.INVOICE_SENT, amount=30000, **common
    )
    Deal.objects.filter(pk=d1.pk).update(won_at=msk(2026, 11, 16, 10))
    moves(
        d1,
        (msk(2026, 11, 4, 10), "proposal", "feedback"),
        (msk(2026, 11, 10, 10), "feedback", "contract"),
        (msk(2026, 11, 12, 10), "contract", "awaiting_payment"),
        (msk(2026, 11, 13, 10), "awaiting_payment", "paid"),
        (msk(2026, 11, 13, 10), "paid", "closing_docs"),
        (msk(2026, 11, 16, 10), "closing_docs", "invoice_forming"),
        (msk(2026, 11, 17, 10), "invoice_forming", "invoice_sent"),
    )
    d2 = DealFactory(responsible=manager, stage=ContractStage.LOST, lost_reason=expensive, **common)
    moves(d2, (msk(2026, 11, 6, 10), "proposal", "feedback"), (msk(2026, 11, 20, 10), "feedback", "lost"))
    d3 = DealFactory(responsible=manager, stage=ContractStage.LOST, lost_reason=expensive, **common)
    moves(d3, (msk(2026, 11, 3, 10), "proposal", "lost"))
    d4 = DealFactory(responsible=manager_b, stage=ContractStage.FEEDBACK, created_at=created)
    moves(d4, (msk(2026, 11, 12, 10), "proposal", "feedback"))
    Deal.objects.filter(pk=d4.pk).update(stage_changed_at=msk(2026, 11, 12, 10))
    d5 = DealFactory(responsible=manager, stage=ContractStage.PROPOSAL, amount=5000, **common)
    return [d1, d2, d3, d4, d5]


def test_the_deal_report_counts_win_rate_reasons_and_days_by_hand(client, admin, deals):
    response = page(client, admin, "crm:report", "deals")
    assert response.status_code == 200
    assert figures(response) == {"Deals": 5, "Won": 1, "Lost": 2, "Win rate": pytest.approx(100 / 3)}
    stages = values(response, "deal_stages")
    assert stages["Commercial proposal"] == [1, Decimal("5000")]
    assert stages["Feedback"][0] == 1 and stages["Deal not signed"][0] == 2
    assert stages["Won: now «Регулярные платежи»"] == [1, Decimal("30000")]
    assert values(response, "lost_reasons") == {"Дорого": [2]}
    days = values(response, "days_in_stage")
    assert days["Commercial proposal"] == [pytest.approx(3.0), 4]
    assert days["Feedback"] == [pytest.approx(10.0), 2]
    assert days["Contract signing"] == [pytest.approx(2.0), 1]
    assert days["Payment received"] == [pytest.approx(0.0), 1]
    assert days["Obtaining closing documents"] == [pytest.approx(3.0), 1]
    assert days["IT infrastructure audit"] == [None, 0]
    stuck = values(response, "stuck_deals")
    assert [row[0] for row in stuck.values()] == [1, 0, 0]


def test_a_managers_deal_report_excludes_another_managers_deals(client, manager, deals):
    response = page(client, manager, "crm:report", "deals")
    assert figures(response)["Deals"] == 4
    assert values(response, "days_in_stage")["Commercial proposal"] == [pytest.approx(2.0), 3]
    assert [row[0] for row in values(response, "stuck_deals").values()] == [0, 0, 0]


def test_a_move_stores_the_time_in_the_stage_it_leaves_across_a_weekend(client, admin, manager):
    """Converted on Monday 16 November at 10:00, sent the proposal on Friday 20th at 17:00 and lost on
    Monday 23rd at 10:00: «КП» 4 days 7 hours, «Обратная связь» over the weekend 65 hours (2.7 days)."""
    LostReason.objects.get_or_create(name="Дорого")
    with time_machine.travel(msk(2026, 11, 16, 10), tick=False):
        lead = lead_create(by=manager, title="Абонентка", email="olga@romashka.example", company_name="ООО «Ромашка»")
        deal = lead_convert(lead=lead, by=manager)
    with time_machine.travel(msk(2026, 11, 20, 17), tick=False):
        move(deal, ContractStage.FEEDBACK, by=manager)
    with time_machine.travel(msk(2026, 11, 23, 10), tick=False):
        move(deal, ContractStage.LOST, by=manager, reason="Дорого")

    stays = dict(
        Activity.objects.filter(target_id=deal.pk, verb=Activity.Verb.MOVED, data__to__in=["feedback", "lost"])
        .order_by("pk")
        .values_list("data__from", "stay_seconds")
    )
    assert stays == {"proposal": (4 * 24 + 7) * 3600, "feedback": 65 * 3600}
    days = values(page(client, admin, "crm:report", "deals"), "days_in_stage")
    assert days["Commercial proposal"] == [pytest.approx(4 + 7 / 24), 1]
    assert days["Feedback"] == [pytest.approx(65 / 24), 1]


def test_moves_logged_before_stays_were_stored_get_them_from_the_log(deals):
    """The migration's fill: D1's stays are the days between its moves (the first from its creation)."""
    Activity.objects.update(stay_seconds=None)
    fill = importlib.import_module("crm.migrations.0014_stays_of_logged_moves").fill_stays
    fill(django_apps, None)
    d1 = (
        Activity.objects.filter(target_id=deals[0].pk, verb=Activity.Verb.MOVED)
        .order_by("created_at", "id")
        .values_list("stay_seconds", flat=True)
    )
    assert [stay / 86400 for stay in d1] == [2, 6, 2, 1, 0, 3, 1]
    assert not Activity.objects.filter(verb=Activity.Verb.MOVED, stay_seconds__isnull=True).exists()


def test_the_stuck_deals_link_lists_them(client, admin, deals):
    response = page(client, admin, "crm:report", "deals")
    url = response.context["report"].table("stuck_deals").rows[0][1][0].url
    with time_machine.travel(NOW, tick=False):
        listed = client.get(url)
    assert [row[0].pk for row in listed.context["rows"]] == [deals[3].pk]


# --- «Регулярные платежи» -------------------------------------------------------------------------


@pytest.fixture
def contracts(manager, manager_b):
    """C4 (A) 7,000 from 20 Jan 2026 to 15 Jan 2027, with a renewal deal;
    C1 (A) 10,000 from 10 Mar 2026, no end;  C2 (A) 5,000 from 1 Jun to 30 Sep 2026;
    C3 (B) 20,000 from 15 Oct to 10 Dec 2026.
    MRR at each month's end (this month: today): Dec 2025 0, Jan–Feb 7,000, Mar–May 17,000,
    Jun–Sep 22,000 (C2 is in force on its last day), Oct–Nov 37,000. New: Jan 7,000, Mar 10,000,
    Jun 5,000, Oct 20,000. Lost: Sep 5,000. Manager A now: 17,000.
    Ending: within 30 days C3 (no renewal), 31–60 C4 (renewal deal), 61–90 none.
    Periods' deals: R1 (A, C1) from 10 Oct, paid, closing documents not received (period ended 9 Nov);
    R2 (A, C1) from 10 Nov, sent 14 days ago; R3 (B, C3) from 15 Oct, sent 25 days ago;
    R4 (A, C2) from 20 Nov, invoice not formed; R5 (B, C3) from 15 Nov, sent 2 days ago.
    Invoices: October sent 2 (R1, R3), paid 1 (R1); November sent 2 (R2, R5), paid 0.
    Unpaid: 0–10 days R5, 10–20 R2, over 20 R3.
    """
    company = CompanyFactory()
    c4 = Contract.objects.create(
        number="C4",
        company=company,
        responsible=manager,
        signed_on=datetime.date(2026, 1, 20),
        ends_on=datetime.date(2027, 1, 15),
        monthly_amount=7000,
    )
    c1 = Contract.objects.create(
        number="C1", company=company, responsible=manager, signed_on=datetime.date(2026, 3, 10), monthly_amount=10000
    )
    c2 = Contract.objects.create(
        number="C2",
        company=company,
        responsible=manager,
        signed_on=datetime.date(2026, 6, 1),
        ends_on=datetime.date(2026, 9, 30),
        monthly_amount=5000,
    )
    c3 = Contract.objects.create(
        number="C3",
        company=company,
        responsible=manager_b,
        signed_on=datetime.date(2026, 10, 15),
        ends_on=datetime.date(2026, 12, 10),
        monthly_amount=20000,
    )
    old = DealFactory(
        responsible=manager,
        company=company,
        pipeline=DealPipeline.REGULAR,
        contract=c4,
        stage=RegularStage.CLOSING_DOCS,
        closing_docs_received=True,
        period_start=datetime.date(2026, 1, 20),
        period_end=datetime.date(2026, 2, 19),
        invoice_paid=True,
    )
    DealFactory(responsible=manager, company=company, renews=old, created_at=msk(2026, 11, 20))

    def period_deal(contract, who, start, end, stage, changed, **extra):
        return DealFactory(
            responsible=who,
            company=company,
            pipeline=DealPipeline.REGULAR,
            contract=contract,
            stage=stage,
            period_start=start,
            period_end=end,
            stage_changed_at=changed,
            amount=contract.monthly_amount,
            **extra,
        )

    d = datetime.date
    period_deal(
        c1, manager, d(2026, 10, 10), d(2026, 11, 9), RegularStage.CLOSING_DOCS, msk(2026, 11, 6), invoice_paid=True
    )
    period_deal(c1, manager, d(2026, 11, 10), d(2026, 12, 9), RegularStage.INVOICE_SENT, msk(2026, 11, 10, 12))
    period_deal(c3, manager_b, d(2026, 10, 15), d(2026, 11, 14), RegularStage.INVOICE_SENT, msk(2026, 10, 30, 12))
    period_deal(c2, manager, d(2026, 11, 20), d(2026, 12, 19), RegularStage.INVOICE_FORMING, msk(2026, 11, 20))
    period_deal(c3, manager_b, d(2026, 11, 15), d(2026, 12, 14), RegularStage.INVOICE_SENT, msk(2026, 11, 22, 12))
    return [c1, c2, c3, c4]


def test_the_regular_report_counts_mrr_invoices_and_endings_by_hand(client, admin, contracts):
    response = page(client, admin, "crm:report", "regular")
    assert response.status_code == 200
    mrr = values(response, "mrr")
    assert [row[0] for row in mrr.values()] == [
        0,
        7000,
        7000,
        17000,
        17000,
        17000,
        22000,
        22000,
        22000,
        22000,
        37000,
        37000,
    ]
    assert next(iter(mrr)) == "12.2025" and list(mrr)[-1] == "11.2026"
    assert {month: row[1] for month, row in mrr.items() if row[1]} == {
        "01.2026": 7000,
        "03.2026": 10000,
        "06.2026": 5000,
        "10.2026": 20000,
    }
    assert {month: row[2] for month, row in mrr.items() if row[2]} == {"09.2026": 5000}
    invoices = values(response, "invoices")
    assert invoices["10.2026"] == [2, 1] and invoices["11.2026"] == [2, 0] and invoices["01.2026"] == [1, 1]
    unpaid = values(response, "unpaid_invoices")
    assert [row[0] for row in unpaid.values()] == [1, 1, 1]
    assert values(response, "contracts_ending") == {"0–30 days": [0, 1], "31–60 days": [1, 0], "61–90 days": [0, 0]}
    listed = values(response, "contracts_ending_list")
    assert list(listed) == ["C3", "C4"] and listed["C4"][-1] == "yes" and listed["C3"][-1] == "no"
    assert figures(response) == {
        "MRR now": 37000,
        "Unpaid invoices": 3,
        "Closing documents outstanding": 1,
        "of them past the period's end": 1,
    }


def test_a_managers_regular_report_has_only_his_contracts_and_invoices(client, manager, contracts):
    response = page(client, manager, "crm:report", "regular")
    assert figures(response)["MRR now"] == 17000
    assert [row[0] for row in values(response, "unpaid_invoices").values()] == [0, 1, 0]
    assert values(response, "contracts_ending")["0–30 days"] == [0, 0]


def test_the_unpaid_invoices_link_lists_the_old_ones(client, admin, contracts):
    response = page(client, admin, "crm:report", "regular")
    url = response.context["report"].table("unpaid_invoices").rows[2][1][0].url
    with time_machine.travel(NOW, tick=False):
        listed = client.get(url)
    assert [row[0].period_start for row in listed.context["rows"]] == [datetime.date(2026, 10, 15)]


def test_each_table_exports_its_numbers_as_csv(client, admin, contracts):
    response = page(client, admin, "crm:report", "regular", csv="contracts_ending")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["Ending in", "With a renewal deal", "Without one"],
        ["0–30 days", "0", "1"],
        ["31–60 days", "1", "0"],
        ["61–90 days", "0", "0"],
    ]


def test_a_clerk_without_lead_rights_cannot_open_the_lead_report(client, contracts):
    clerk = UserFactory(roles=[Role.CLERK])
    assert page(client, clerk).status_code == 403
    assert page(client, clerk, "crm:report", "regular").status_code == 200
    assert page(client, clerk, "crm:report", "nonsense").status_code == 404


@pytest.mark.parametrize("period", [{}, {"period": "custom", "date_from": "2026-08-26", "date_to": "2026-11-24"}])
@pytest.mark.parametrize("viewer", ["admin", "manager"])
@pytest.mark.parametrize("name", ["leads", "deals", "regular"])
def test_every_crm_report_takes_the_same_number_of_queries_whatever_the_data(
    client, admin, manager, name, viewer, period
):
    def queries():
        client.force_login(admin if viewer == "admin" else manager)
        with time_machine.travel(NOW, tick=False):
            client.get(reverse("crm:report", args=[name]), period)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("crm:report", args=[name]), period).status_code == 200
        return len(captured)

    def add(count):
        company = CompanyFactory()
        for i in range(count):
            LeadFactory(responsible=manager, created_at=msk(2026, 11, 2, 10), stage="qualified", failed_calls=i % 6)
            deal = DealFactory(responsible=manager, created_at=msk(2026, 11, 2, 10), stage="lost")
            moves(deal, (msk(2026, 11, 3, 10), "proposal", "lost"))
            contract = Contract.objects.create(
                number=f"N{count}-{i}", company=company, signed_on=datetime.date(2026, 5, 1), monthly_amount=100
            )
            DealFactory(
                pipeline=DealPipeline.REGULAR,
                contract=contract,
                stage=RegularStage.INVOICE_SENT,
                period_start=datetime.date(2026, 11, 1),
                period_end=datetime.date(2026, 11, 30),
            )

    add(2)
    small = queries()
    add(30)
    assert queries() == small
