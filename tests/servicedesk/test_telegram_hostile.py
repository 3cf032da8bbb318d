"""Hostile updates at the Telegram webhook: a clear 400, or stored and handled to an end — never a 500.

Telegram sends again what was not answered 200, so a server error here would keep one update
coming back (and the webhook's queue behind it waiting) for as long as Telegram keeps trying.
"""

import json

import pytest
from django.test import Client

from servicedesk.models import DeskSettings, TelegramUpdate
from tests.telegram_fake import callback_update, text_update, user

pytestmark = pytest.mark.usefixtures("eager_celery")


@pytest.fixture
def post(telegram_api, desk, django_capture_on_commit_callbacks):
    secret = DeskSettings.load().telegram_webhook_secret
    client = Client(raise_request_exception=False)

    def send(body):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/telegram/webhook/",
                data=body if isinstance(body, str) else json.dumps(body),
                content_type="application/json",
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )

    return send


@pytest.mark.parametrize("update_id", [2**63, -(2**63) - 1, 2**70, True, "5", 1.5, None])
def test_an_update_id_that_is_no_bigint_is_not_an_update(post, update_id):
    response = post({"update_id": update_id, "message": {}})
    assert response.status_code == 400
    assert response.json() == {"ok": False, "detail": "not an update"}
    assert not TelegramUpdate.objects.exists()


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, '{"update_id": 1, "message": ' + '{"a": ' * 40 + "1" + "}" * 41],
    ids=["100,000 levels", "42 levels"],
)
def test_an_update_nested_too_deep_is_refused(post, body):
    response = post(body)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "detail": "nested too deep"}
    assert not TelegramUpdate.objects.exists()


def test_a_nul_in_a_message_is_kept_as_a_replacement_character_and_answered(post, telegram_api, service):
    fake, chat = telegram_api, 611
    sender = user(chat) | {"language_code": "r\x00u"}
    update = text_update(fake.next_update_id(), chat, "/start\x00")
    update["message"]["from"] = sender
    assert post(update).status_code == 200
    stored = TelegramUpdate.objects.get()
    assert stored.status == "done"
    assert stored.payload["message"]["text"] == "/start\ufffd"
    assert stored.payload["message"]["from"]["language_code"] == "r\ufffdu"
    assert fake.texts(chat)  # the client is answered


def test_updates_of_odd_shapes_are_each_handled_to_an_end(post, telegram_api, service):
    n = telegram_api.next_update_id
    odd = [
        {"update_id": n(), "message": {"text": "no chat"}},
        {"update_id": n(), "message": {"chat": {"id": "abc"}, "text": "hi", "from": {"id": 1}}},
        {"update_id": n(), "message": {"chat": {"id": 2**70}, "text": "hi", "from": {"id": 2**70}}},
        {"update_id": n(), "message": {"chat": {"id": 602}, "text": ["hi"], "from": {"id": 602}}},
        {"update_id": n(), "message": [1, 2]},
        {"update_id": n(), "message": {"chat": {"id": 603}, "text": "hi", "from": None}},
        callback_update(n(), 604, "service:99999999999999999999"),
        callback_update(n(), 604, "service:abc"),
        callback_update(n(), 604, "frob:1"),
        {"update_id": n(), "callback_query": {"id": "x", "from": {"id": 605}}},
        {"update_id": n(), "callback_query": {"id": "x", "from": {"id": 605}, "data": "skip:", "message": None}},
        {"update_id": n(), "message": {"chat": {"id": 606}, "from": {"id": 606}, "photo": "x"}},
        {"update_id": n(), "message": {"chat": {"id": 606}, "from": {"id": 606}, "document": {"file_size": "big"}}},
        {"update_id": n(), "message": {"chat": {"id": 607}, "from": {"id": 607}, "contact": {"phone_number": 5}}},
        text_update(n(), 608, "/start " + "x" * 5000),
        {"update_id": n(), "message": {"chat": {"id": -100123, "type": "group"}, "from": {"id": 9}, "text": "/start"}},
        text_update(n(), 610, "/start", sender=user(610, first_name="Я" * 10_000)),
    ]
    assert [post(update).status_code for update in odd] == [200] * len(odd)
    assert set(TelegramUpdate.objects.values_list("status", flat=True)) == {"done"}
