"""The CRM's models, one module per concern; Django finds them all through this package."""

from .deals import Contract, ContractStage, Deal, DealPipeline, LostReason, RegularStage
from .directory import Company, Contact, ContactEmail, ContactPhone
from .leads import Lead, LeadSource, LeadStage
from .settings import CrmSettings
from .tasks import ChecklistTemplate, Task, TaskChecklistItem

__all__ = [
    "ChecklistTemplate",
    "Company",
    "Contact",
    "ContactEmail",
    "ContactPhone",
    "Contract",
    "ContractStage",
    "CrmSettings",
    "Deal",
    "DealPipeline",
    "Lead",
    "LeadSource",
    "LeadStage",
    "LostReason",
    "RegularStage",
    "Task",
    "TaskChecklistItem",
]
