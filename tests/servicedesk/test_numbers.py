"""Ticket numbers stay unique and gapless when many intakes run at once (real PostgreSQL connections)."""

import threading

import pytest
from django.db import connection

from servicedesk import services
from servicedesk.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8
PER_WORKER = 5


def test_concurrent_intakes_get_unique_sequential_numbers(desk, service):
    start = threading.Barrier(WORKERS)
    errors = []

    def intake(worker: int):
        # Staff (a transaction) and clients (one statement) take numbers from the same sequence.
        create = services.create_ticket if worker % 2 else services.accept_ticket
        try:
            start.wait()
            for n in range(PER_WORKER):
                create(service=service, subject=f"Заявка {worker}-{n}", email=f"c{worker}@client.ru", source="api")
        except Exception as exc:  # reported below: a thread's exception would be lost otherwise
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=intake, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == WORKERS * PER_WORKER
    assert numbers == list(range(numbers[0], numbers[0] + WORKERS * PER_WORKER))
    for ticket in Ticket.objects.all():
        assert ticket.search_text.startswith(f"#{ticket.number} ")
