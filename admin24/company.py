"""The company's own name and the address of its consent page, for every public page.

The service desk's settings hold them (SPEC §1 "Company requisites"); the kernel imports no app,
so the service desk registers itself as the provider (``servicedesk.apps``) and the other public
pages — the CRM's lead form — ask here.
"""

from dataclasses import dataclass

__all__ = ["CompanyIdentity", "identity", "provide"]


@dataclass(frozen=True)
class CompanyIdentity:
    header_name: str = ""  # the name public forms show in their header
    legal_name: str = ""
    consent_url: str = ""  # the page with the personal-data consent text and the requisites


_provider = None


def provide(fn):
    """Register ``fn() -> CompanyIdentity``; the last registered one answers."""
    global _provider
    _provider = fn
    return fn


def identity() -> CompanyIdentity:
    return _provider() if _provider is not None else CompanyIdentity()
