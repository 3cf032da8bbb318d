"""A fake Telegram Bot API server for the tests: a small threaded HTTP server on a free port.

It answers what Admin24 calls (getMe, getUpdates with long polling from a queue the test feeds,
setWebhook, deleteWebhook, getWebhookInfo, sendMessage, sendDocument, sendPhoto, getFile and the
file download, answerCallbackQuery, editMessageReplyMarkup) at ``/bot<token>/<method>`` and
``/file/bot<token>/<path>``, as Telegram does, and records every call. It can be told to answer
429 with ``retry_after`` or 403 "bot was blocked by the user" for a chat.

The ``update_*`` helpers build real update JSON as Telegram sends it.
"""

import contextlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

TOKEN = "123456:TEST-token"
BOT_USERNAME = "admin24_test_bot"


@dataclass
class Call:
    method: str
    params: dict
    files: dict = field(default_factory=dict)  # field → (file name, bytes)
    token: str = ""
    at: float = field(default_factory=time.time)  # when it arrived (a Unix time)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value not in (None, "") else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def keyboard(self) -> list[list[dict]]:
        markup = self.params.get("reply_markup") or {}
        return markup.get("inline_keyboard") or markup.get("keyboard") or []

    @property
    def buttons(self) -> list[dict]:
        return [button for row in self.keyboard for button in row]


class FakeBotApi:
    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME):
        self.token = token
        self.username = username
        self.calls: list[Call] = []
        self.webhook: dict = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, content)
        self._updates: list[dict] = []
        self._blocked: set[int] = set()
        self._limited: dict[int | None, list[int]] = {}  # chat (None: any) → retry_after answers to give
        self._lock = threading.Condition()
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._update_ids = itertools.count(10_000)
        self._download_gate: threading.Event | None = None
        self.download_started = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- running ---------------------------------------------------------------------------

    def start(self) -> "FakeBotApi":
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._lock.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # --- what the test tells it ------------------------------------------------------------

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def feed(self, update: dict) -> None:
        """Queue an update for getUpdates."""
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()

    def block(self, chat_id: int) -> None:
        self._blocked.add(int(chat_id))

    def rate_limit(self, retry_after: int, *, chat_id: int | None = None, times: int = 1) -> None:
        self._limited.setdefault(chat_id, []).extend([retry_after] * times)

    def hold_downloads(self) -> threading.Event:
        """File downloads wait (``download_started`` is set) until the returned event is set."""
        self._download_gate = threading.Event()
        self.download_started.clear()
        return self._download_gate

    def add_file(self, content: bytes, path: str = "documents/file.bin") -> str:
        file_id = f"file-{next(self._file_ids)}"
        self.files[file_id] = (path, content)
        return file_id

    # --- what the test reads ---------------------------------------------------------------

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    def sent(self, chat_id: int) -> list[Call]:
        """Everything the chat received: messages, documents and photos, in order."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method in ("sendMessage", "sendDocument", "sendPhoto") and c.chat_id == int(chat_id)
            ]

    def texts(self, chat_id: int) -> list[str]:
        return [c.text for c in self.sent(chat_id)]

    def last(self, chat_id: int) -> Call:
        return self.sent(chat_id)[-1]

    def wait_for(self, predicate, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError("the fake Bot API did not see what was expected in time")

    # --- the HTTP side ---------------------------------------------------------------------

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self._dispatch()

            def do_POST(self):
                self._dispatch()

            def _dispatch(self):
                path = urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if path.startswith("/file/bot"):
                    token, _, file_path = path[len("/file/bot") :].partition("/")
                    return self._file(token, file_path)
                if not path.startswith("/bot"):
                    return self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                token, _, method = path[len("/bot") :].partition("/")
                if token != fake.token:
                    return self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                params, files = _parse(self.headers, body, urlsplit(self.path).query)
                status, answer = fake._answer(method, params, files, token)
                self._json(status, answer)

            def _file(self, token, file_path):
                content = next((c for p, c in fake.files.values() if p == file_path), None)
                if token != fake.token or content is None:
                    return self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                if fake._download_gate is not None:
                    fake.download_started.set()
                    fake._download_gate.wait(10)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def _json(self, status, answer):
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _answer(self, method: str, params: dict, files: dict, token: str) -> tuple[int, dict]:
        call = Call(method=method, params=params, files=files, token=token)
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        with self._lock:
            self.calls.append(call)
        chat_id = call.chat_id
        if method.startswith("send") or method == "editMessageReplyMarkup":
            for key in (chat_id, None):
                pending = self._limited.get(key)
                if pending:
                    retry_after = pending.pop(0)
                    return 429, {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {retry_after}",
                        "parameters": {"retry_after": retry_after},
                    }
            if chat_id in self._blocked:
                return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        if method == "getMe":
            result = {"id": 123456, "is_bot": True, "first_name": "Admin24", "username": self.username}
        elif method == "setWebhook":
            self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token", "")}
            result = True
        elif method == "deleteWebhook":
            self.webhook = {}
            result = True
        elif method == "getWebhookInfo":
            result = {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}
        elif method in ("sendMessage", "sendDocument", "sendPhoto"):
            result = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": call.text,
            }
        elif method == "getFile":
            found = self.files.get(str(params.get("file_id")))
            if found is None:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            result = {
                "file_id": params["file_id"],
                "file_unique_id": params["file_id"],
                "file_size": len(found[1]),
                "file_path": found[0],
            }
        elif method in ("answerCallbackQuery", "editMessageReplyMarkup", "setMyCommands", "close", "logOut"):
            result = True
        else:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        return 200, {"ok": True, "result": result}

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                # Confirmed updates (below the offset) are forgotten, as Telegram does.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or time.monotonic() >= deadline:
                    return list(self._updates[:100])
                self._lock.wait(max(deadline - time.monotonic(), 0.01))


def _parse(headers, body: bytes, query: str) -> tuple[dict, dict]:
    """JSON, form-encoded or multipart parameters (complex values JSON-decoded) and files."""
    content_type = headers.get("Content-Type", "")
    params: dict = dict(parse_qsl(query))
    files: dict = {}
    if content_type.startswith("application/json") and body:
        params.update(json.loads(body))
    elif content_type.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(body.decode()))
    elif content_type.startswith("multipart/form-data"):
        message = message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body, policy=policy.HTTP)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename:
                files[name] = (filename, payload)
            else:
                params[name] = payload.decode()
    for key in ("reply_markup", "chat_id", "message_id", "reply_to_message_id", "timeout", "offset"):
        value = params.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    # PTB sends an attached file as "attach://<name>" in the field and the bytes under that name.
    for key in ("document", "photo"):
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            files[key] = files.pop(value[9:])
    return params, files


# --- real update JSON ------------------------------------------------------------------------

_message_ids = itertools.count(1)


def user(chat_id: int, *, first_name="Иван", last_name="Петров", language_code="ru", username=None) -> dict:
    found = {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
    if last_name:
        found["last_name"] = last_name
    if username:
        found["username"] = username
    return found


def _message(chat_id: int, sender: dict | None = None, **content) -> dict:
    sender = sender or user(chat_id)
    return {
        "message_id": next(_message_ids),
        "from": sender,
        "chat": {"id": chat_id, "type": "private", "first_name": sender.get("first_name", "")},
        "date": int(time.time()),
        **content,
    }


def text_update(update_id: int, chat_id: int, text: str, *, sender=None, reply_to: int | None = None) -> dict:
    message = _message(chat_id, sender, text=text)
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if reply_to is not None:
        message["reply_to_message"] = {
            "message_id": reply_to,
            "chat": {"id": chat_id, "type": "private"},
            "date": int(time.time()),
            "text": "…",
        }
    return {"update_id": update_id, "message": message}


def edited_update(update_id: int, chat_id: int, text: str, *, sender=None) -> dict:
    return {"update_id": update_id, "edited_message": _message(chat_id, sender, text=text, edit_date=int(time.time()))}


def callback_update(update_id: int, chat_id: int, data: str, *, message_id: int = 1, sender=None) -> dict:
    sender = sender or user(chat_id)
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb-{update_id}",
            "from": sender,
            "chat_instance": str(chat_id),
            "data": data,
            "message": {
                "message_id": message_id,
                "chat": {"id": chat_id, "type": "private"},
                "date": int(time.time()),
                "text": "…",
            },
        },
    }


def contact_update(update_id: int, chat_id: int, phone: str, *, sender=None) -> dict:
    sender = sender or user(chat_id)
    contact = {"phone_number": phone, "first_name": sender["first_name"], "user_id": chat_id}
    return {"update_id": update_id, "message": _message(chat_id, sender, contact=contact)}


def document_update(update_id: int, chat_id: int, file_id: str, name: str, size: int, *, mime="application/pdf"):
    document = {"file_id": file_id, "file_unique_id": file_id, "file_name": name, "mime_type": mime, "file_size": size}
    return {"update_id": update_id, "message": _message(chat_id, document=document)}


def photo_update(update_id: int, chat_id: int, file_id: str, size: int, *, caption: str | None = None) -> dict:
    photo = [
        {"file_id": file_id + "-small", "file_unique_id": file_id + "s", "width": 90, "height": 90, "file_size": 100},
        {"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 600, "file_size": size},
    ]
    content = {"photo": photo}
    if caption:
        content["caption"] = caption
    return {"update_id": update_id, "message": _message(chat_id, **content)}


def sticker_update(update_id: int, chat_id: int) -> dict:
    sticker = {"file_id": "sticker", "file_unique_id": "st", "type": "regular", "width": 512, "height": 512}
    return {"update_id": update_id, "message": _message(chat_id, sticker=sticker)}


def voice_update(update_id: int, chat_id: int) -> dict:
    voice = {"file_id": "voice", "file_unique_id": "vo", "duration": 3}
    return {"update_id": update_id, "message": _message(chat_id, voice=voice)}
