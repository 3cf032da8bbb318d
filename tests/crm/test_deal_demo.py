from config.demo import seed_demo
from crm.models import ContractStage, Deal, Task


def test_seed_demo_puts_a_deal_with_its_tasks_in_every_stage_of_the_contract_pipeline_once(db):
    seed_demo()
    first = (Deal.objects.count(), Task.objects.count())
    seed_demo()

    assert (Deal.objects.count(), Task.objects.count()) == first
    stages = set(Deal.objects.filter(pipeline="contract").values_list("stage", flat=True))
    assert stages == set(ContractStage.values)
    for stage in (ContractStage.PROPOSAL, ContractStage.CONTRACT, ContractStage.AUDIT, ContractStage.CLOSING_DOCS):
        assert Task.objects.filter(deal__stage=stage, deal__pipeline="contract", status="open").exists(), stage
