"""Uploads that expand: an archive or an image that unpacks to a gigabyte is refused at once, in flat memory.

The bombs are built here by streaming zeros into a ZipFile (nothing holds the gigabyte), once per
run. Every path that takes an upload from outside is tried: the public form, the public API, the
deal's documents (API and card) and the form's icon. Each answer must come within two seconds,
name the file, store nothing, and leave the process's memory where it was.
"""

import functools
import io
import resource
import struct
import time
import tracemalloc
import zipfile
import zlib

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from admin24.roles import Role
from crm.models import ContractStage
from servicedesk.models import Attachment, DeskSettings, Ticket
from tests.factories import DealFactory, ServiceFactory, UserFactory
from tests.servicedesk.conftest import stamp

pytestmark = pytest.mark.django_db

GB = 1 << 30
MB = 1 << 20
SECONDS = 2.0
MEMORY = 50 * MB


# --- bombs ------------------------------------------------------------------------------------


def _stream_zeros(archive: zipfile.ZipFile, name: str, compression: int, size: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = compression
    chunk = bytes(MB)
    with archive.open(info, "w") as entry:
        for _ in range(size // MB):
            entry.write(chunk)


def _patch_member(data: bytes, name: str, *, size: int | None = None, method: int | None = None) -> bytes:
    """The archive with ``name``'s declared uncompressed size or compression method changed (a lying header)."""
    data = bytearray(data)
    encoded = name.encode()
    # (signature, where the method, the uncompressed size, the name's length and the name are)
    headers = ((b"PK\x03\x04", 8, 22, 26, 30), (b"PK\x01\x02", 10, 24, 28, 46))
    for signature, method_at, size_at, length_at, name_at in headers:
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_length = struct.unpack_from("<H", data, start + length_at)[0]
            if bytes(data[start + name_at : start + name_at + name_length]) == encoded:
                if size is not None:
                    struct.pack_into("<I", data, start + size_at, size)
                if method is not None:
                    struct.pack_into("<H", data, start + method_at, method)
            start += 4
    return bytes(data)


@functools.cache
def bomb(kind: str) -> bytes:
    buffer = io.BytesIO()
    if kind == "odt-deflate":  # OpenDocument's "mimetype" member, 1 GB of zeros deflated to ~1 MB
        with zipfile.ZipFile(buffer, "w") as archive:
            _stream_zeros(archive, "mimetype", zipfile.ZIP_DEFLATED, GB)
    elif kind == "odt-bzip2":  # the same in bzip2: 1 GB from under a kilobyte
        with zipfile.ZipFile(buffer, "w") as archive:
            _stream_zeros(archive, "mimetype", zipfile.ZIP_BZIP2, GB)
    elif kind == "odt-bzip2-lying":  # the bzip2 member declaring 39 bytes: the header's sizes cannot be trusted
        return _patch_member(bomb("odt-bzip2"), "mimetype", size=39)
    elif kind == "odt-deflate-lying":
        return _patch_member(bomb("odt-deflate"), "mimetype", size=39)
    elif kind == "odt-unknown-method":  # a compression method Python cannot unpack
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        return _patch_member(buffer.getvalue(), "mimetype", method=99)
    elif kind == "docx-deflate":  # a Word document whose text is 1 GB of zeros
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            _stream_zeros(archive, "word/document.xml", zipfile.ZIP_DEFLATED, GB)
    elif kind == "many-entries":  # 20,000 empty members: parsing the directory alone costs memory
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<w:document/>")
            for n in range(20_000):
                archive.writestr(f"{n}", b"")
    else:
        raise ValueError(kind)
    return buffer.getvalue()


# What each bomb is refused with (the file's name is in every message).
REFUSAL = {
    "odt-deflate": "unpacks to more than",
    "odt-bzip2": "unpacks to more than",
    "odt-bzip2-lying": "is not accepted",
    "odt-deflate-lying": "is not accepted",
    "odt-unknown-method": "is not accepted",
    "docx-deflate": "unpacks to more than",
    "many-entries": "holds more than",
}
NAMES = {"docx-deflate": "report.docx", "many-entries": "report.docx"}


class Measured:
    """Wall time and memory of one request: Python's allocations (tracemalloc) and the process's peak."""

    def __enter__(self):
        self.peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        tracemalloc.start()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.started
        self.python_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.process_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - self.peak_before

    def assert_cheap(self):
        assert self.seconds < SECONDS, f"took {self.seconds:.1f} s"
        assert self.python_peak < MEMORY, f"Python allocated {self.python_peak / MB:.0f} MB"
        assert self.process_growth < MEMORY, f"the process grew by {self.process_growth / MB:.0f} MB"


# --- the paths an upload takes ----------------------------------------------------------------


@pytest.fixture
def desk(db):
    return DeskSettings.load()


@pytest.fixture
def service(db):
    return ServiceFactory(responsible=UserFactory(roles=[Role.SUPPORT_ENGINEER]))


def _ticket_fields(service) -> dict:
    return {
        "service": str(service.pk),
        "name": "Пётр Клиентов",
        "email": "petr@client.ru",
        "subject": "Документ",
        "description": "Во вложении документ.",
        "consent_desk": "on",
        "consent_company": "on",
    }


def post_form(desk, service, upload) -> str:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("desk:form", args=[desk.form_key]),
        {**_ticket_fields(service), "website": "", "rendered": stamp(), "files": [upload]},
    )
    assert response.status_code == 400
    return response.content.decode()


def post_public_api(desk, service, upload) -> str:
    payload = {**_ticket_fields(service), "form_key": desk.form_key, "files": [upload]}
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/public/tickets/", payload, format="multipart")
    assert response.status_code == 400
    return str(response.json())


def post_deal_api(desk, service, upload) -> str:
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    deal = DealFactory(responsible=manager, stage=ContractStage.PROPOSAL)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(manager)
    response = client.post(f"/api/v1/deals/{deal.pk}/proposal-file/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    deal.refresh_from_db()
    assert not deal.proposal_file
    return str(response.json())


def post_deal_card(desk, service, upload) -> str:
    manager = UserFactory(roles=[Role.SALES_MANAGER])
    deal = DealFactory(responsible=manager, stage=ContractStage.PROPOSAL, title="Сделка")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager)
    fields = {"title": "Сделка", "amount": "0", "currency": "RUB", "computers": 1, "servers": 0, "offices": 1}
    response = client.post(
        reverse("crm:deal-save", args=[deal.pk]), {**fields, "responsible": manager.pk, "proposal_upload": upload}
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert not deal.proposal_file
    return response.content.decode()


PATHS = {"form": post_form, "public-api": post_public_api, "deal-api": post_deal_api}


@pytest.fixture(autouse=True)
def _warm(desk):
    # The process's first request loads templates and modules; that is not what is measured.
    Client().get(reverse("desk:form", args=[desk.form_key]))


@pytest.mark.parametrize("kind", list(REFUSAL))
@pytest.mark.parametrize("path", list(PATHS))
def test_an_archive_that_expands_is_refused_at_once_in_flat_memory(desk, service, path, kind):
    name = NAMES.get(kind, "report.odt")
    upload = SimpleUploadedFile(name, bomb(kind))
    with Measured() as measured:
        said = PATHS[path](desk, service, upload)
    measured.assert_cheap()
    assert name in said and REFUSAL[kind] in said
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_the_deal_card_refuses_an_expanding_document_with_a_message(desk, service):
    with Measured() as measured:
        page = post_deal_card(desk, service, SimpleUploadedFile("kp.odt", bomb("odt-bzip2")))
    measured.assert_cheap()
    assert "kp.odt" in page and "unpacks to more than" in page


def test_real_office_documents_and_archives_are_still_recognised(desk, service):
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")  # stored, as ODF requires
        archive.writestr("content.xml", "<office:document-content/>" * 1000, compress_type=zipfile.ZIP_DEFLATED)
    odt_deflated = io.BytesIO()
    with zipfile.ZipFile(odt_deflated, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    logs = io.BytesIO()
    with zipfile.ZipFile(logs, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.log", "2026-01-01 INFO started\n" * 20_000)  # text compresses ~100 times
    files = [
        SimpleUploadedFile("a.odt", odt.getvalue()),
        SimpleUploadedFile("b.ods", odt_deflated.getvalue()),
        SimpleUploadedFile("logs.zip", logs.getvalue()),
    ]
    payload = {**_ticket_fields(service), "form_key": desk.form_key, "files": files}
    response = APIClient().post("/api/v1/public/tickets/", payload, format="multipart")
    assert response.status_code == 201, response.content
    kinds = sorted(Attachment.objects.values_list("content_type", flat=True))
    assert kinds == [
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.text",
        "application/zip",
    ]


# --- the form's icon --------------------------------------------------------------------------


def _png_of_zeros(width: int, height: int) -> bytes:
    """A grayscale PNG of ``width``×``height`` black pixels, written row by row (~80 KB for 9000×9000)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _ico_around(png: bytes) -> bytes:
    """An ICO whose one entry says 256×256 and holds ``png`` (whatever its real size)."""
    directory = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 22)
    return directory + png


@pytest.fixture
def admin_client(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(roles=[Role.ADMINISTRATOR]))
    return client


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("huge.png", _png_of_zeros(9000, 9000)),  # 81 Mpx: under Pillow's own warning threshold
        ("huge.ico", _ico_around(_png_of_zeros(9000, 9000))),  # the size hides inside the icon
    ],
)
def test_an_icon_that_decodes_to_a_huge_image_is_refused_in_flat_memory(admin_client, desk, name, data):
    with Measured() as measured:
        response = admin_client.post(reverse("servicedesk:favicon"), {"icon": SimpleUploadedFile(name, data)})
    measured.assert_cheap()
    said = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "too large" in said
    desk.refresh_from_db()
    assert not desk.favicon_32
