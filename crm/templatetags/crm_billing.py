"""Template helpers of «Регулярные платежи»: the invoice emails of a deal and a contract's renewal."""

from django import template

from ..services import billing, renewal

register = template.Library()

INVOICE_EMAILS_SHOWN = 10


@register.simple_tag
def invoice_emails(deal) -> list:
    """The deal's latest invoice emails with their delivery status (sent / failed with the reason)."""
    return list(billing.invoice_emails(deal)[:INVOICE_EMAILS_SHOWN])


@register.simple_tag
def contract_renewal(contract) -> dict:
    """When the contract's renewal deal will be created, or the deal once it exists."""
    return {"due_at": renewal.renewal_due_at(contract), "deal": renewal.renewal_deal(contract)}
