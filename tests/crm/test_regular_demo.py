from config.demo import seed_demo
from crm.models import Deal, DealPipeline, RegularStage
from crm.services.renewal import renewal_due_at
from notifications.models import OutboxMessage


def test_seed_demo_shows_every_regular_stage_invoices_sent_and_a_renewal_due_soon(db):
    seed_demo()
    regular = Deal.objects.filter(pipeline=DealPipeline.REGULAR)
    first = (regular.count(), OutboxMessage.objects.filter(template="invoice").count())
    seed_demo()

    assert (regular.count(), OutboxMessage.objects.filter(template="invoice").count()) == first
    assert set(regular.values_list("stage", flat=True)) == set(RegularStage.values)
    assert first[1] >= 3
    won = Deal.objects.filter(won_at__isnull=False, title="Абонентка: серверная").get()
    due = renewal_due_at(won.contract)
    # About a week away (the January holidays can push it a little further).
    assert due is not None and (due - won.won_at).days <= 20
