"""The service desk tells the other apps' public pages the company's name and consent page
(``admin24.company``): its settings hold the requisites."""

from django.urls import reverse

from admin24 import company

from .intake import snapshot


@company.provide
def desk_identity() -> company.CompanyIdentity:
    desk = snapshot.desk()
    return company.CompanyIdentity(
        header_name=desk.header_company_name,
        legal_name=desk.legal_name,
        consent_url=reverse("desk:consent"),
    )
