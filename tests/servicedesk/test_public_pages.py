"""The public pages around the form: company autofill, consent, embed script, favicon, client files."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from crm.models import Company
from servicedesk import services
from servicedesk.emails import client_page_path, client_page_token
from servicedesk.models import DeskSettings
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def autofill(client, desk, email, **extra):
    return client.get(reverse("desk:company_autofill", args=[desk.form_key]), {"email": email}, **extra)


@pytest.fixture
def known_client(db):
    company = Company.objects.create(name="ООО «Ромашка»", inn="7707083893", address="Секретный адрес")
    return ContactFactory(full_name="Ольга", company=company, emails=["olga@romashka.ru"], phones=["+79161112233"])


def test_autofill_says_only_that_the_company_is_known_for_the_exact_email(client, desk, known_client):
    response = autofill(client, desk, " OLGA@romashka.ru ")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Мы знаем вашу компанию" in page
    for secret in ("Ромашка", "7707083893", "Секретный адрес", "Ольга", "+79161112233"):
        assert secret not in page
    # An unknown full email gets an empty hint: the same status, nothing to tell.
    unknown = autofill(client, desk, "someone@else.ru")
    assert unknown.status_code == 200 and unknown.content.strip() == b""


@pytest.mark.parametrize("email", ["olga@romashka.r", "olga@romashka", "romashka.ru", "olga", "olga@", ""])
def test_autofill_answers_nothing_for_a_partial_email(client, desk, known_client, email):
    response = autofill(client, desk, email)
    assert response.status_code == 204
    assert response.content == b""


def test_autofill_needs_the_current_form_key_and_is_rate_limited_per_address(client, desk, known_client):
    assert (
        client.get(reverse("desk:company_autofill", args=["stale"]), {"email": "olga@romashka.ru"}).status_code == 404
    )
    statuses = [autofill(client, desk, f"x{n}@x.ru").status_code for n in range(21)]
    assert set(statuses[:20]) == {200} and statuses[20] == 429
    assert autofill(client, desk, "olga@romashka.ru").status_code == 429


def test_one_email_is_looked_up_a_few_times_an_hour_from_any_address(client, desk, known_client):
    answers = [autofill(client, desk, "olga@romashka.ru", REMOTE_ADDR=f"10.0.0.{n}") for n in range(1, 8)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    assert autofill(client, desk, "other@romashka.ru", REMOTE_ADDR="10.0.1.1").status_code == 200


def test_a_sweep_from_many_addresses_stops_at_the_form_keys_limit(client, desk, known_client):
    """240 look-ups from five addresses in 1.4 s told which emails were clients (issue 12 §7)."""
    statuses = [
        autofill(client, desk, f"guess{n}@romashka.ru", REMOTE_ADDR=f"10.1.{n // 20}.{n % 20 + 1}").status_code
        for n in range(240)
    ]
    assert statuses.count(200) == 200 and statuses[200:] == [429] * 40
    assert autofill(client, desk, "olga@romashka.ru", REMOTE_ADDR="10.9.9.9").status_code == 429


def test_the_consent_page_shows_the_requisites(client, desk):
    desk.inn = "7707083893"
    desk.ogrn = "1027700132195"
    desk.legal_address = "Москва, ул. Тверская, 7"
    desk.save()
    page = client.get(reverse("desk:consent")).content.decode()
    for text in ("ООО «Админ24»", "7707083893", "1027700132195", "Москва, ул. Тверская, 7", "152"):
        assert text in page


def test_the_embed_script_resizes_only_our_frames(client, desk):
    response = client.get(reverse("desk:embed_js"))
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "admin24:height" in body and "iframe[data-admin24-form]" in body
    assert "event.origin !== origin" in body


def test_the_embed_snippet_points_at_the_form_and_the_script(desk):
    from servicedesk.links import embed_snippet

    snippet = embed_snippet(desk)
    assert f"/desk/form/{desk.form_key}/?embed=1" in snippet
    assert "/desk/embed.js" in snippet and "data-admin24-form" in snippet


def image_bytes(fmt: str, size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "ICO"])
def test_a_favicon_is_re_encoded_at_both_sizes_and_served(client, desk, fmt):
    services.set_favicon(desk=desk, upload=SimpleUploadedFile(f"icon.{fmt.lower()}", image_bytes(fmt)))
    desk = DeskSettings.load()
    for size in (32, 180):
        response = client.get(reverse("desk:favicon", args=[size]))
        assert response["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
        assert image.format == "PNG" and image.size == (size, size)
    assert 'rel="icon"' in client.get(reverse("desk:form", args=[desk.form_key])).content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("icon.svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
        ("icon.png", b"not an image at all", "не является изображением PNG, ICO или JPEG"),
        ("icon.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
         b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", "PNG, ICO или JPEG"),
    ],
)  # fmt: skip
def test_anything_but_a_png_ico_or_jpeg_favicon_is_refused(client, desk, name, content, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.set_favicon(desk=desk, upload=SimpleUploadedFile(name, content))
    assert message in str(error.value)
    assert client.get(reverse("desk:favicon", args=[32])).status_code == 404


def test_the_client_downloads_the_ticket_files_but_not_those_of_internal_notes(client, desk, service, engineer):
    ticket = services.create_ticket(
        service=service, subject="Скан", email="c@client.ru", files=[SimpleUploadedFile("scan.pdf", b"%PDF-1.4 x")]
    )
    note = services.add_comment(
        ticket=ticket, author=engineer, body="внутр.", public=False, files=[SimpleUploadedFile("log.txt", b"secret")]
    )
    signed = client_page_token(ticket)
    own = ticket.attachments.get(comment__isnull=True)
    response = client.get(reverse("desk:client_file", args=[signed, own.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    hidden = note.attachments.get()
    assert client.get(reverse("desk:client_file", args=[signed, hidden.pk])).status_code == 404
    assert "log.txt" not in client.get(client_page_path(ticket)).content.decode()
