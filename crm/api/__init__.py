"""/api/v1/ companies, contacts, leads, tasks, deals, contracts and the public lead intake (DESIGN.md "API").

One module per entity: ``directory`` (companies, contacts), ``leads``, ``tasks``, ``deals`` (deals,
contracts; with the actions of ``billing`` and ``renewal``) and ``public`` (the public lead intake);
``common`` holds what they share. Serializers validate the shape of the input; the services decide.
Lists only ever hold what the user may read; writing to a visible card without the right to edit
it is a 403.
"""

from .deals import ContractViewSet, DealViewSet
from .directory import CompanyViewSet, ContactViewSet
from .leads import LeadViewSet
from .public import PublicLeadViewSet
from .tasks import TaskViewSet

# (prefix, viewset, basename) — ``config.api`` puts every app's routes on /api/v1/.
ROUTES = [
    ("companies", CompanyViewSet, "company"),
    ("contacts", ContactViewSet, "contact"),
    ("leads", LeadViewSet, "lead"),
    ("tasks", TaskViewSet, "task"),
    ("public/leads", PublicLeadViewSet, "public-lead"),
    ("deals", DealViewSet, "deal"),
    ("contracts", ContractViewSet, "contract"),
]
