"""The Service Desk's models, one module per concern; Django finds them all through this package."""

from .inbound import InboundEmail
from .settings import DeskSettings, Service
from .tickets import (
    Attachment,
    Ticket,
    TicketComment,
    TicketIntake,
    TicketSource,
    TicketStatus,
    next_ticket_number,
)

__all__ = [
    "Attachment",
    "DeskSettings",
    "InboundEmail",
    "Service",
    "Ticket",
    "TicketComment",
    "TicketIntake",
    "TicketSource",
    "TicketStatus",
    "next_ticket_number",
]
