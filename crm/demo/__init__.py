"""The CRM's part of `seed_demo`, in the order its steps build on each other."""

from .deals import seed_deals
from .directory import seed_crm
from .history import seed_history
from .regular import seed_regular_payments

DEMO_STEPS = [
    ("CRM: companies, contacts, leads in every stage, tasks", seed_crm),
    ("CRM: deals in every stage of «Заключение договора», with their tasks", seed_deals),
    ("CRM: regular payments at every stage, invoices sent, a renewal due soon", seed_regular_payments),
    ("CRM: the last months (leads, deals, contracts and their invoices) for the reports", seed_history),
]
