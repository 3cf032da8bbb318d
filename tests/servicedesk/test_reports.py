"""The Service Desk report on twelve tickets whose figures are worked out by hand below.

Calendar: Mon–Fri 09:00–18:00 Moscow time, the Russian production calendar (4 November 2026 is a
holiday, 3 November a shortened day ending at 17:00). Desk: reaction 2 working hours, resolution 8.
"Now" is Tuesday 24 November 2026, 12:00; the period is this month, November 2026.

 #   created              work started      done              reaction h  resolution h  SLA
 1   Mon 23.11 10:00      10:30             15:00             0.5         5             met
 2   Mon 23.11 10:00      11:00             17:00             1           7             met
 3   Mon 23.11 10:00      11:30             16:00             1.5         6             met
 4   Mon 23.11 10:00      10:10             12:00             1/6         2             met
 5   Mon 23.11 10:00      10:00             11:00             0           1             met
 6   Mon 23.11 10:00      12:30 (due 12:00) 14:00             2.5         4             missed
 7   Mon 23.11 10:00      10:20             Tue 10:00 (due Mon 18:00) 1/3  9            missed
 8   Mon 23.11 10:00      —  (due 12:00, past)                 —           —             missed
 9   Fri 20.11 17:30      Mon 09:45 (due 10:30) Mon 15:30 (due 16:30) 1.25  7 (weekend)  met
10   Tue 03.11 16:00      Thu 05.11 09:30 (due 10:00) Thu 15:00 (due 16:00) 1.5  7 (holiday) met
11   Tue 24.11 11:30      —  (due 13:30, ahead)                —           —             not judged yet
12   Fri 30.10 10:00      Fri 30.10 10:00   Mon 02.11 10:00   (created in October: outside the period)

Judged 10, met 7: compliance 70 %. Reaction hours (9 tickets) sorted 0, 1/6, 1/3, 0.5, 1, 1.25,
1.5, 1.5, 2.5: median 1, 90th percentile at position 1 + 0.9 × 8 = 8.2 → 1.5 + 0.2 × 1 = 1.7.
Resolution 1, 2, 4, 5, 6, 7, 7, 7, 9: median 6, 90th percentile 7 + 0.2 × 2 = 7.4.
Opened in November 11 (8 on Monday 23rd), closed 10 (#12 included), open at 1 November 1 (#12), open now 2 (#8, #11),
overdue now 1 (#8). Service A (#1–5) 100 %, service B (#6–10) 2 of 5 = 40 %.
"""

import csv
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from admin24.models import AccessRule
from admin24.roles import Role
from crm.models import Contract
from servicedesk import services
from servicedesk.models import Ticket
from tests.factories import CompanyFactory, ContactFactory, ServiceFactory, UserFactory

from .conftest import msk
from .staff_helpers import bulk_tickets

pytestmark = pytest.mark.django_db

NOW = msk(2026, 11, 24, 12, 0)
REPORT = reverse("servicedesk:reports")
MON = (2026, 11, 23)

# created, started, done, service ("a"/"b"), source
PLAN = [
    (msk(*MON, 10), msk(*MON, 10, 30), msk(*MON, 15), "a", "form"),
    (msk(*MON, 10), msk(*MON, 11), msk(*MON, 17), "a", "form"),
    (msk(*MON, 10), msk(*MON, 11, 30), msk(*MON, 16), "a", "email"),
    (msk(*MON, 10), msk(*MON, 10, 10), msk(*MON, 12), "a", "email"),
    (msk(*MON, 10), msk(*MON, 10), msk(*MON, 11), "a", "telegram"),
    (msk(*MON, 10), msk(*MON, 12, 30), msk(*MON, 14), "b", "api"),
    (msk(*MON, 10), msk(*MON, 10, 20), msk(2026, 11, 24, 10), "b", "staff"),
    (msk(*MON, 10), None, None, "b", "staff"),
    (msk(2026, 11, 20, 17, 30), msk(*MON, 9, 45), msk(*MON, 15, 30), "b", "form"),
    (msk(2026, 11, 3, 16), msk(2026, 11, 5, 9, 30), msk(2026, 11, 5, 15), "b", "form"),
    (msk(2026, 11, 24, 11, 30), None, None, "b", "form"),
    (msk(2026, 10, 30, 10), msk(2026, 10, 30, 10), msk(2026, 11, 2, 10), "b", "form"),
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def desk_times(desk):
    desk.reaction_time, desk.resolution_time = datetime.timedelta(hours=2), datetime.timedelta(hours=8)
    desk.save()
    return desk


@pytest.fixture
def plan(desk_times, engineer, support_head):
    """The twelve tickets, lived through: created, started and done at their moments."""
    service_a = ServiceFactory(name="A", responsible=engineer)
    service_b = ServiceFactory(name="B", responsible=support_head)
    company = CompanyFactory(name="ООО «Абонент»")
    ContactFactory(company=company, emails=["boss@abonent.ru"])
    Contract.objects.create(number="2026-00001", company=company, signed_on=datetime.date(2026, 1, 1))
    made = []
    for index, (created, started, done, service, source) in enumerate(PLAN, start=1):
        # Tickets 1–3 are the contract client's.
        email = "boss@abonent.ru" if index <= 3 else f"client{index}@client.ru"
        with time_machine.travel(created, tick=False):
            ticket = services.create_ticket(
                service=service_a if service == "a" else service_b,
                subject=f"Заявка {index}",
                email=email,
                source=source,
            )
        if started:
            with time_machine.travel(started, tick=False):
                services.ticket_start(ticket=ticket, by=ticket.assignee)
        if done:
            with time_machine.travel(done, tick=False):
                services.ticket_complete(ticket=ticket, by=ticket.assignee)
        made.append(ticket)
    return made


def report_page(client, user, **params):
    params.setdefault("period", "this_month")
    client.force_login(user)
    client.cookies["django_language"] = "en"  # the labels below are read in English
    with time_machine.travel(NOW, tick=False):
        return client.get(REPORT, params)


def table(response, key):
    return response.context["report"].table(key)


def values(response, key) -> dict[str, list]:
    return {label: [cell.value for cell in cells] for label, cells in table(response, key).rows}


def test_the_working_times_are_stored_across_a_weekend_and_a_holiday(plan):
    weekend, holiday = Ticket.objects.get(pk=plan[8].pk), Ticket.objects.get(pk=plan[9].pk)
    assert (weekend.reaction_work_seconds, weekend.resolution_work_seconds) == (75 * 60, 7 * 3600)
    assert (holiday.reaction_work_seconds, holiday.resolution_work_seconds) == (90 * 60, 7 * 3600)
    assert holiday.reaction_due_at == msk(2026, 11, 5, 10) and holiday.resolution_due_at == msk(2026, 11, 5, 16)


def test_the_report_figures_match_the_hand_computed_ones(client, engineer, plan):
    response = report_page(client, engineer)
    assert response.status_code == 200
    figures = {figure.label: figure.value for figure in response.context["report"].figures}
    assert figures == {"Opened": 11, "Closed": 10, "Open now": 2, "Overdue now": 1, "SLA met": 70.0}

    times = values(response, "working_hours")
    assert times["work started"][0] == 9
    assert times["work started"][1] == pytest.approx(1.0)
    assert times["work started"][2] == pytest.approx(1.7)
    assert times["done"] == [9, pytest.approx(6.0), pytest.approx(7.4)]
    assert values(response, "working_hours_histogram") == {
        "0–1": [4, 0],
        "1–2": [4, 1],
        "2–4": [1, 1],
        "4–8": [0, 6],
        "8–16": [0, 1],
        "16–40": [0, 0],
        "40+": [0, 0],
    }

    by_service = values(response, "sla_by_service")
    assert by_service["A"][:3] == [5, 5, 100.0]
    assert by_service["B"][:3] == [5, 2, 40.0]
    # Reaction: #6 late and #8 never started; resolution: #7 late and #8 not done.
    assert by_service["B"][3:] == [60.0, 60.0]
    by_contract = values(response, "sla_by_contract")
    assert by_contract["2026-00001 · ООО «Абонент»"][:3] == [3, 3, 100.0]
    assert by_contract["No contract"][:3] == [7, 4, pytest.approx(400 / 7)]

    sources = values(response, "sources")
    assert sources == {"web form": [5], "API": [1], "email": [2], "Telegram": [1], "staff": [2]}


def test_opened_closed_and_the_backlog_follow_the_days(client, engineer, plan):
    response = report_page(client, engineer)
    flow = values(response, "opened_closed")
    assert flow["02.11"] == [0, 1]
    assert flow["03.11"] == [1, 0]
    assert flow["05.11"] == [0, 1]
    assert flow["20.11"] == [1, 0]
    assert flow["23.11"] == [8, 7]
    assert flow["24.11"] == [1, 1]
    backlog = values(response, "backlog")
    # One open at the start (#12), closed on the 2nd; #10 open 3rd–5th; #9 from the 20th (done on the
    # 23rd, when #8 stays open); the 24th opens #11 and closes #7.
    assert [backlog[day][0] for day in ("01.11", "02.11", "03.11", "05.11", "20.11", "23.11", "24.11")] == [
        1,
        0,
        1,
        0,
        1,
        2,
        2,
    ]


def test_a_number_links_to_the_tickets_behind_it(client, engineer, plan):
    response = report_page(client, engineer)
    overdue = next(f for f in response.context["report"].figures if f.label == "Overdue now")
    with time_machine.travel(NOW, tick=False):
        listed = client.get(overdue.url)
    assert [row[0].pk for row in listed.context["rows"]] == [plan[7].pk]
    [monday] = [cells for label, cells in table(response, "opened_closed").rows if label == "23.11"]
    with time_machine.travel(NOW, tick=False):
        listed = client.get(monday[0].url)
    assert len(listed.context["rows"]) == 8


def test_the_filters_narrow_every_figure(client, engineer, plan):
    service_a = plan[0].service
    response = report_page(client, engineer, service=service_a.pk)
    figures = {figure.label: figure.value for figure in response.context["report"].figures}
    assert figures["Opened"] == 5 and figures["SLA met"] == 100.0
    response = report_page(client, engineer, period="custom", date_from="2026-11-01", date_to="2026-11-10")
    figures = {figure.label: figure.value for figure in response.context["report"].figures}
    assert figures["Opened"] == 1 and figures["SLA met"] == 100.0


def test_the_csv_has_the_tables_numbers(client, engineer, plan):
    response = report_page(client, engineer, csv="sla_by_service")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Service", "Judged", "Met", "SLA met, %"]
    assert rows[1][:4] == ["A", "5", "5", "100.0"]
    assert rows[2][:4] == ["B", "5", "2", "40.0"]
    assert report_page(client, engineer, csv="nonsense").status_code == 404


def test_an_engineer_who_may_read_only_his_own_tickets_counts_only_them(client, engineer, plan):
    AccessRule.objects.filter(role__name=Role.SUPPORT_ENGINEER, entity="ticket", action="read").update(level=10)
    response = report_page(client, engineer)
    figures = {figure.label: figure.value for figure in response.context["report"].figures}
    # Service A's five tickets are his (its responsible); B's are the head's.
    assert figures["Opened"] == 5 and figures["SLA met"] == 100.0
    assert set(values(response, "sla_by_engineer")) == {engineer.last_name + " " + engineer.first_name}


def test_who_may_read_no_tickets_may_not_open_the_report(client, plan):
    clerk = UserFactory(roles=[Role.CLERK])
    assert report_page(client, clerk).status_code == 403


@pytest.mark.parametrize("period", [{"period": "quarter"}, {}, {"csv": "sla_by_engineer"}])
@pytest.mark.parametrize("viewer", ["engineer", "administrator"])
def test_the_report_takes_the_same_number_of_queries_for_ten_or_five_hundred_tickets(
    client, engineer, desk_times, service, viewer, period
):
    company = CompanyFactory()
    bulk_tickets(10, service=service, assignee=engineer, company=company, start=1)
    client.force_login(engineer if viewer == "engineer" else UserFactory(roles=[Role.ADMINISTRATOR]))
    client.get(REPORT)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(REPORT, period).status_code == 200
        return len(captured)

    small = queries()
    for offset in range(4):
        bulk_tickets(
            123, service=ServiceFactory(), assignee=UserFactory(), company=CompanyFactory(), start=1000 * (offset + 1)
        )
    assert Ticket.objects.count() > 500
    assert queries() == small


def test_the_company_card_shows_its_contracts_sla_compliance(client, engineer, plan):
    company = plan[0].company
    client.force_login(engineer)
    client.cookies["django_language"] = "en"
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("crm:company-detail", args=[company.pk]))
    page = response.content.decode()
    assert "SLA compliance under contract 2026-00001" in page
    this_month = page.split('data-sla-row="1"')[1].split("</tr>")[0]
    assert ">3<" in this_month and "100.0" in this_month
    last_month = page.split('data-sla-row="2"')[1].split("</tr>")[0]
    assert ">0<" in last_month and "—" in last_month
    with time_machine.travel(NOW, tick=False):
        linked = client.get(page.split('data-sla-row="1"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&"))
    figures = {figure.label: figure.value for figure in linked.context["report"].figures}
    assert figures["Opened"] == 3 and figures["SLA met"] == 100.0


def test_the_tables_rows_escape_what_people_typed(client, engineer, desk_times, service):
    company = CompanyFactory(name="<script>alert(1)</script> & Co")
    bulk_tickets(3, service=service, assignee=engineer, company=company, start=1)
    client.force_login(engineer)
    page = client.get(REPORT).content.decode()
    rows = page.split('data-report-table="top_companies"')[1].split("</tbody>")[0]
    assert "<script>alert(1)</script>" not in rows
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in rows
    assert 'data-value="3"' in rows


def test_of_contracts_tied_at_the_cut_the_page_shows_the_oldest_and_the_csv_all(client, engineer, desk_times, service):
    company = CompanyFactory(name="ООО «Договорник»")
    contracts = [
        Contract.objects.create(number=f"T-{i:02d}", company=company, signed_on=datetime.date(2026, 1, 1))
        for i in range(25)
    ]
    bulk_tickets(25, service=service, assignee=engineer, start=1)
    # Each ticket's reaction deadline is past and work has not started: each contract has one judged ticket.
    for ticket, contract in zip(Ticket.objects.order_by("number"), reversed(contracts), strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(
            contract=contract, reaction_due_at=ticket.created_at + datetime.timedelta(minutes=1)
        )
    client.force_login(engineer)
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)):
        page = client.get(REPORT)
        shown = [label for label, _cells in table(page, "sla_by_contract").rows]
        exported = client.get(REPORT, {"csv": "sla_by_contract"}).content.decode()
    assert shown == [f"T-{i:02d} · ООО «Договорник»" for i in range(20)]
    assert all(f"T-{i:02d}" in exported for i in range(25))


def test_a_company_tied_with_the_tickets_of_no_company_is_shown_beside_them(client, engineer, desk_times, service):
    # The tie compared a company's id with the None of the tickets of no CRM company: a server error.
    bulk_tickets(2, service=service, assignee=engineer, company=CompanyFactory(name="ООО «Ничья»"), start=1)
    bulk_tickets(2, service=service, assignee=engineer, start=3)
    client.force_login(engineer)
    client.cookies["django_language"] = "en"
    page = client.get(REPORT)
    assert page.status_code == 200
    assert values(page, "top_companies") == {"ООО «Ничья»": [2], "Not a CRM company": [2]}
