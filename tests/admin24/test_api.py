import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_schema_builds_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "openapi:" in out.read_text()


def test_the_docs_page_is_served_from_local_files(client):
    client.force_login(UserFactory())
    body = client.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in body
    assert "cdn" not in body.lower()
    assert not re.search(r'(src|href)="(https?:)?//', body)
    script = client.get(reverse("api-docs"), {"script": ""}).content.decode()  # its start-up script, a file
    assert '"validatorUrl": null' in script  # no badge image from validator.swagger.io


def test_there_are_no_docs_that_load_fonts_and_images_from_other_sites(client):
    # ReDoc's page loads fonts.googleapis.com and a logo from cdn.redoc.ly: it is not served.
    client.force_login(UserFactory())
    assert client.get("/api/redoc/").status_code == 404


def test_the_api_needs_authentication():
    response = APIClient().get("/api/v1/")
    assert response.status_code in (401, 403)


def test_a_token_opens_the_api():
    UserFactory(username="robot")
    api = APIClient()
    token = api.post(reverse("api-token"), {"username": "robot", "password": DEMO_PASSWORD}).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/").status_code == 200


def test_a_wrong_password_gets_no_token():
    UserFactory(username="robot")
    response = APIClient().post(reverse("api-token"), {"username": "robot", "password": "wrong"})
    assert response.status_code == 400
    assert "token" not in response.json()


def _enum(schema, component: str, field: str) -> list[str]:
    prop = schema["components"]["schemas"][component]["properties"][field]
    ref = prop.get("$ref") or next(item["$ref"] for item in prop.get("allOf", []))
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["enum"]


def test_the_schema_lists_every_ticket_status_and_deal_stage_for_generated_clients():
    from drf_spectacular.generators import SchemaGenerator

    from crm.models import ContractStage, LeadStage, RegularStage
    from servicedesk.models import TicketStatus

    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert _enum(schema, "Ticket", "status") == TicketStatus.values
    assert _enum(schema, "TicketMove", "to") == TicketStatus.values
    deal_stages = set(ContractStage.values) | set(RegularStage.values)
    assert set(_enum(schema, "Deal", "stage")) == deal_stages
    assert set(_enum(schema, "DealMove", "to")) == deal_stages
    assert _enum(schema, "LeadMove", "to") == LeadStage.values
