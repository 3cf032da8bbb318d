"""``/telegram/webhook/``: Telegram posts updates here; stored at once, handled by a Celery task."""

import json

from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from admin24.api.parsers import MAX_DEPTH, depth

from .intake import snapshot, telegram

MAX_BODY = 1024 * 1024


@csrf_exempt
@require_POST
def webhook(request):
    desk = snapshot.desk()
    secret = desk.telegram_webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not desk.telegram_token or not secret or not given or not constant_time_compare(given, secret):
        return HttpResponseForbidden("wrong secret token")
    if len(request.body) > MAX_BODY:
        return JsonResponse({"ok": False, "detail": "too large"}, status=413)
    try:
        payload = json.loads(request.body)
    except RecursionError:  # the decoder recurses once per level
        return JsonResponse({"ok": False, "detail": "nested too deep"}, status=400)
    except ValueError:
        return JsonResponse({"ok": False, "detail": "not JSON"}, status=400)
    if depth(payload) > MAX_DEPTH:
        return JsonResponse({"ok": False, "detail": "nested too deep"}, status=400)
    if telegram.update_id_of(payload) is None:
        return JsonResponse({"ok": False, "detail": "not an update"}, status=400)
    telegram.store(payload)
    return HttpResponse(status=200)
