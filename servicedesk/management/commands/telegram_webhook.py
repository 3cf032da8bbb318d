"""``python manage.py telegram_webhook set|delete|info``: the bot's webhook at Telegram."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from admin24 import telegram
from servicedesk.intake.telegram import webhook_secret


class Command(BaseCommand):
    help = "Register (set), remove (delete) or show (info) the Telegram webhook."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["set", "delete", "info"])
        parser.add_argument("--url", help="the public webhook URL (default: SITE_URL + /telegram/webhook/)")

    def handle(self, *args, action: str, url: str | None, **options):
        if not telegram.identity().token:
            raise CommandError("No Telegram bot token is set: put it in Service Desk → Settings first.")
        try:
            if action == "set":
                url = url or settings.SITE_URL + reverse("telegram-webhook")
                telegram.call(
                    "setWebhook",
                    {
                        "url": url,
                        "secret_token": webhook_secret(),
                        "allowed_updates": [],
                        "drop_pending_updates": False,
                    },
                )
                self.stdout.write(f"Webhook set: {url}")
            elif action == "delete":
                telegram.call("deleteWebhook", {})
                self.stdout.write("Webhook deleted; `manage.py runbot` may poll now.")
            else:
                info = telegram.call("getWebhookInfo", {})
                self.stdout.write(f"url: {info.get('url') or '(none: polling)'}")
                self.stdout.write(f"pending updates: {info.get('pending_update_count', 0)}")
                if info.get("last_error_message"):
                    self.stdout.write(f"last error: {info['last_error_message']}")
        except telegram.BotApiError as error:
            raise CommandError(f"Telegram refused: {error}") from error
