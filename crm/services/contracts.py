"""Winning a «Заключение договора» deal: its Contract, and the move into «Регулярные платежи»."""

from django.db import transaction

from admin24 import activity, clock, workflow
from admin24.models import Activity

from ..models import Contract, Deal, DealPipeline, RegularStage
from ..texts import say
from . import renewal


def contract_number(deal: Deal) -> str:
    signed = deal.contract_date or clock.localdate()
    return f"{signed:%Y}-{deal.pk:05d}"


@transaction.atomic
def deal_win(*, deal: Deal, by) -> Contract:
    """Create the deal's contract and continue the deal at «Формирование счёта» (SPEC §2).

    The move goes through the engine under the regular pipeline, so that pipeline's guards and
    robots for its first stage run as for any other entry; a refusal rolls everything back.
    """
    deal = Deal.objects.select_for_update(of=("self",)).get(pk=deal.pk)
    contract = Contract.objects.create(
        number=contract_number(deal),
        company=deal.company,
        contact=deal.contact,
        responsible=deal.responsible,
        signed_on=deal.contract_date or clock.localdate(),
        ends_on=deal.contract_end_date,
        monthly_amount=deal.amount,
        currency=deal.currency,
        contract_file=deal.contract_file.name,
        proposal_file=deal.proposal_file.name,
    )
    # Saved first, so the regular pipeline's robots see the deal where it is going.
    deal.pipeline = DealPipeline.REGULAR
    deal.save(update_fields=["pipeline", "updated_at"])
    workflow.move(
        deal,
        RegularStage.INVOICE_FORMING,
        by=by,
        reason=say("crm.deal.won"),
    )
    deal.contract = contract
    deal.won_at = clock.now()
    deal.save(update_fields=["contract", "won_at", "updated_at"])
    renewal.renewal_track(contract)
    activity.record(
        target=deal,
        verb=Activity.Verb.NOTE,
        by=by,
        message=say("crm.contract.recorded", number=contract.number),
        data={"contract": contract.pk},
    )
    return contract
