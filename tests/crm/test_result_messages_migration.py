"""Robot results, closing reasons and move reasons stored as text before they had keys get them
(issue 13 §1): the schema goes back to before the message fields (crm 0011), rows are written as
the old code wrote them — in Russian, in English, in an earlier Russian wording — and the
migration forward turns the robots' sentences into keys, leaving what people typed as typed.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from admin24.models import Activity
from crm.models import Deal, Lead, Task

BEFORE_THE_MESSAGES = [("crm", "0011_task_title_messages"), ("admin24", "0007_activity_kinds_of_old_rows")]


@pytest.mark.django_db(transaction=True)
def test_old_robot_texts_get_their_keys_and_typed_ones_stay(migrate):
    old = migrate(BEFORE_THE_MESSAGES)
    OldTask, OldLead, OldDeal = (old.get_model("crm", name) for name in ("Task", "Lead", "Deal"))
    OldActivity = old.get_model("admin24", "Activity")

    tasks = {
        name: OldTask.objects.create(title="Звонок", status="done", result=result).pk
        for name, result in [
            ("no_answer", "Не дозвонились."),
            ("closed", "The lead is closed."),
            ("stage_left", "Сделка перешла со стадии «Формирование КП» на «Обратная связь»."),
            ("typed", "Договорились о встрече"),
        ]
    }
    unreachable = OldLead.objects.create(
        title="Заявка", stage="unreachable", closing_reason="Клиент не ответил на звонки (5)."
    )
    spam = OldLead.objects.create(title="Реклама", stage="spam", closing_reason="Реклама курсов")
    superseded = OldDeal.objects.create(
        title="ООО «Ромашка»: август 2027",
        pipeline="regular",
        stage="failed",
        closing_reason="Период с 01.08.2027 оплачивается по продлению «Продление договора 2026-00001: ООО «Ромашка»» "
        "(договор от 02.08.2027).",
    )
    deal_type = ContentType.objects.get_for_model(Deal).pk
    moves = {
        name: OldActivity.objects.create(
            target_type_id=deal_type, target_id=superseded.pk, verb="moved", text=text, data={"from": "a", "to": "b"}
        ).pk
        for name, text in [
            ("won", "Первый месяц оплачен, пора закрывающих документов: сделка выиграна."),
            ("paid", "Invoice paid."),  # not the sentence ("The invoice is paid."): typed
            ("paid_ru", "Счёт оплачен."),
        ]
    }

    migrate()

    task = {name: Task.objects.get(pk=pk) for name, pk in tasks.items()}
    assert {name: t.result_message.get("key") for name, t in task.items()} == {
        "no_answer": "crm.task.no_answer",
        "closed": "crm.lead.closed_tasks",
        "stage_left": "crm.task.stage_left",
        "typed": None,
    }
    unreachable, spam, superseded = (
        Lead.objects.get(pk=unreachable.pk),
        Lead.objects.get(pk=spam.pk),
        Deal.objects.get(pk=superseded.pk),
    )
    assert spam.closing_reason_message == {}
    entries = {name: Activity.objects.get(pk=pk) for name, pk in moves.items()}
    assert {name: entry.key for name, entry in entries.items()} == {
        "won": "crm.deal.won",
        "paid": "",
        "paid_ru": "crm.invoice.paid",
    }

    with translation.override("en"):
        assert task["no_answer"].shown_result == "No answer."
        assert task["stage_left"].shown_result == "The deal moved from «Commercial proposal» to «Feedback»."
        assert task["typed"].shown_result == "Договорились о встрече"
        assert unreachable.shown_closing_reason == "The client did not answer 5 calls."
        assert spam.shown_closing_reason == "Реклама курсов"
        assert superseded.shown_closing_reason == (
            "The period from 1 Aug 2027 is billed under the renewal “Продление договора 2026-00001: ООО «Ромашка»” "
            "(contract of 2 Aug 2027)."
        )
        assert entries["won"].said == "The first month is paid and the closing documents are due: the deal is won."
        assert entries["paid"].said == "Invoice paid."
    with translation.override("ru"):
        assert task["closed"].shown_result == "Лид закрыт."
        assert entries["won"].said == "Первый месяц оплачен, пора оформлять закрывающие документы: сделка выиграна."
