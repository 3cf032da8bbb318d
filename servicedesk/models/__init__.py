"""The Service Desk's models, one module per concern; Django finds them all through this package."""

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
