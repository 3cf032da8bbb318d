"""The Service Desk's models, one module per concern; Django finds them all through this package."""

from .inbound import InboundEmail
from .settings import DeskSettings, Service
from .telegram import TelegramChat, TelegramTicket, TelegramUpdate
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
    "TelegramChat",
    "TelegramTicket",
    "TelegramUpdate",
    "Ticket",
    "TicketComment",
    "TicketIntake",
    "TicketSource",
    "TicketStatus",
    "next_ticket_number",
]
