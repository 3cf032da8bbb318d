"""``python manage.py runbot``: the Telegram bot by long polling (python-telegram-bot 22).

Each update is stored and handed to the same handler as the webhook's (a Celery task after
commit; the sweeper catches what the broker missed). Without a token the command says how to set
one and waits; it re-reads the settings every few seconds, so a token set or changed on the
settings page is picked up without restarting the process.
"""

import asyncio
import contextlib
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand

from servicedesk.intake import telegram as intake
from servicedesk.models import DeskSettings

log = logging.getLogger(__name__)

IDLE_MESSAGE = (
    "Telegram is off: no bot token is set. Create a bot with @BotFather, then put its token and "
    "username in Service Desk → Settings → Telegram bot. This process waits and starts polling "
    "as soon as a token is saved (no restart needed)."
)


def _token() -> str:
    return DeskSettings.load().telegram_token.strip()


class Command(BaseCommand):
    help = "Run the Telegram bot by long polling (idle until a token is set)."

    def add_arguments(self, parser):
        parser.add_argument("--check-every", type=float, default=5.0, help="seconds between settings checks")

    def handle(self, *args, check_every: float, **options):
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._run(check_every))

    async def _run(self, check_every: float) -> None:
        said_idle = False
        while True:
            token = await sync_to_async(_token)()
            if not token:
                if not said_idle:
                    self.stdout.write(IDLE_MESSAGE)
                    self.stdout.flush()
                    said_idle = True
                await asyncio.sleep(check_every)
                continue
            said_idle = False
            await self._poll(token, check_every)

    async def _poll(self, token: str, check_every: float) -> None:
        from telegram import Update
        from telegram.error import InvalidToken, TelegramError
        from telegram.ext import Application, TypeHandler

        base = settings.TELEGRAM_API_BASE_URL
        application = (
            Application.builder()
            .token(token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .read_timeout(settings.TELEGRAM_TIMEOUT)
            .get_updates_read_timeout(settings.TELEGRAM_TIMEOUT + 30)
            .build()
        )

        async def on_update(update: Update, context) -> None:
            await sync_to_async(intake.store)(update.to_dict())

        application.add_handler(TypeHandler(Update, on_update))
        try:
            async with application:
                me = application.bot.username
                self.stdout.write(f"Telegram bot @{me}: polling {base}")
                self.stdout.flush()
                await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=10)
                await application.start()
                while await sync_to_async(_token)() == token:
                    await asyncio.sleep(check_every)
                self.stdout.write("The bot token changed: polling with the new one.")
                await application.updater.stop()
                await application.stop()
        except InvalidToken:
            self.stderr.write("The Telegram bot token is not accepted; fix it on the settings page.")
            await self._wait_for_change(token, check_every)
        except TelegramError as error:
            self.stderr.write(f"Telegram: {error}; trying again shortly.")
            await asyncio.sleep(check_every)

    async def _wait_for_change(self, token: str, check_every: float) -> None:
        while await sync_to_async(_token)() == token:
            await asyncio.sleep(check_every)
