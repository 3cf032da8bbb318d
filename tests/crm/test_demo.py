from config.demo import seed_demo
from crm.models import Company, Contact, Deal, Lead, LeadStage, Task


def counts():
    return [m.objects.count() for m in (Company, Contact, Lead, Deal, Task)]


def test_seed_demo_fills_every_lead_stage_for_the_demo_managers_once(db):
    seed_demo()
    first = counts()
    seed_demo()

    assert counts() == first
    assert set(Lead.objects.values_list("stage", flat=True)) == set(LeadStage.values)
    owners = set(Lead.objects.values_list("responsible__username", flat=True))
    assert owners == {"manager", "manager2", "sales_head"}
    assert Deal.objects.filter(source_lead__stage=LeadStage.QUALIFIED).count() == 1
