"""«Заключение договора»: the deal pipeline a converted lead starts in (SPEC §2).

For now its stages, the moves' guards and the proposal task; the deals issue adds the rest of
its robots here.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import ContractStage, Task
from ..services import tasks as task_services
from .base import ACTIVE, HOLD, LOST, Pipeline, Stage

PIPELINE = Pipeline(
    key="contract",
    label=gettext_lazy("Contract signing"),
    stages=[
        Stage(ContractStage.PROPOSAL, ContractStage.PROPOSAL.label, 10, ACTIVE),
        Stage(ContractStage.FEEDBACK, ContractStage.FEEDBACK.label, 20, ACTIVE),
        Stage(ContractStage.CONTRACT, ContractStage.CONTRACT.label, 30, ACTIVE),
        Stage(ContractStage.AWAITING_PAYMENT, ContractStage.AWAITING_PAYMENT.label, 40, ACTIVE),
        Stage(ContractStage.PAID, ContractStage.PAID.label, 50, ACTIVE),
        Stage(ContractStage.AUDIT, ContractStage.AUDIT.label, 60, ACTIVE),
        Stage(ContractStage.CLOSING_DOCS, ContractStage.CLOSING_DOCS.label, 70, ACTIVE),
        Stage(ContractStage.LOST, ContractStage.LOST.label, 80, LOST),
        Stage(ContractStage.SUSPENDED, ContractStage.SUSPENDED.label, 90, HOLD),
    ],
)


@PIPELINE.guard(ContractStage.LOST, ContractStage.SUSPENDED)
def _reason_required(deal, *, by, reason):
    if not reason:
        return _("Say why the deal stops here.")
    return None


@PIPELINE.guard(ContractStage.AWAITING_PAYMENT)
def _contract_date_required(deal, *, by, reason):
    if deal.contract_date is None:
        return _("The contract date is required for «%(stage)s».") % {"stage": ContractStage.AWAITING_PAYMENT.label}
    return None


@PIPELINE.on_enter(ContractStage.PROPOSAL)
def _proposal_task(deal, *, by, from_stage, reason):
    task_services.task_create(
        title=_("Prepare the commercial proposal: %(deal)s") % {"deal": deal.title},
        kind=Task.Kind.PROPOSAL,
        responsible=deal.responsible,
        deal=deal,
        by=by,
        is_automatic=True,
    )
