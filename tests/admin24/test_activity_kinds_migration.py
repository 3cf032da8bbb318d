"""Timeline rows written before history entries had kinds get them from what they say (issue 13 §2).

The schema goes back to before the kinds (admin24 0005), rows are written as the old code wrote
them — in Russian and in English — and the migration forward gives each its kind.
"""

import pytest
from django.contrib.contenttypes.models import ContentType

from admin24.history import describe
from admin24.models import Activity
from crm.models import Deal
from tests.factories import DealFactory, UserFactory

BEFORE_THE_KINDS = [("admin24", "0005_scheduled_action_superseded")]


@pytest.mark.django_db(transaction=True)
def test_old_rows_get_their_kinds_and_a_reminder_names_its_person(migrate):
    manager = UserFactory(first_name="Анна", last_name="Петрова")
    deal = DealFactory(responsible=manager)
    deal_type = ContentType.objects.get_for_model(Deal).pk

    old = migrate(BEFORE_THE_KINDS).get_model("admin24", "Activity")
    rows = {
        name: old.objects.create(target_type_id=deal_type, target_id=deal.pk, verb=verb, text=text, data=data).pk
        for name, verb, text, data in [
            ("attached", "updated", "Приложен файл (коммерческое предложение): kp.pdf", {}),
            ("invoice", "updated", "Invoice attached: schet.pdf", {}),
            (
                "sent",
                "note",
                "Счёт отправлен на buh@romashka.example.",
                {"invoice_to": "buh@romashka.example", "outbox": 7},
            ),
            ("not_sent", "note", "Счёт не отправлен: Не приложен файл счёта.", {}),
            ("reminded", "reminder_sent", "Прикрепить счёт: Ромашка (кому: Петрова Анна)", {"to": manager.pk}),
            ("moved", "moved", "", {"from": "proposal", "to": "feedback"}),
            ("fields", "updated", "Сумма", {}),
        ]
    }

    migrate()

    kinds = {name: Activity.objects.get(pk=pk) for name, pk in rows.items()}
    assert {name: row.verb for name, row in kinds.items()} == {
        "attached": "file_attached",
        "invoice": "file_attached",
        "sent": "email_sent",
        "not_sent": "email_not_sent",
        "reminded": "reminder_sent",
        "moved": "moved",
        "fields": "updated",
    }
    assert kinds["sent"].data == {"address": "buh@romashka.example", "outbox": 7}
    (reminder,) = describe([kinds["reminded"]], target=deal)
    assert (reminder.what, reminder.text) == ("Отправлено напоминание (кому: Петрова Анна)", "Прикрепить счёт: Ромашка")
