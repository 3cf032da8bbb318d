"""A database made by the old code, where the CRM owned the activity log, migrates forward and keeps it.

The test takes the schema back to where it was before the kernel took the model over (crm 0006,
admin24 0003), writes a timeline row as the old code did, migrates forward again and reads the row
through the kernel's model, with the permissions still attached to its content type.
"""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from admin24.activity import timeline
from admin24.models import Activity
from crm.models import Company
from tests.factories import UserFactory

BEFORE_THE_MOVE = [("admin24", "0003_seed_constants"), ("crm", "0006_search_indexes")]


@pytest.mark.django_db(transaction=True)
def test_an_old_databases_activity_rows_are_the_kernels_after_migrating(migrate):
    author = UserFactory(username="old-author")
    company = Company.objects.create(name="ООО «Старая схема»")
    company_type_id = ContentType.objects.get_for_model(Company).pk

    old_apps = migrate(BEFORE_THE_MOVE)
    old_content_types = old_apps.get_model("contenttypes", "ContentType")
    assert old_content_types.objects.filter(app_label="crm", model="activity").exists()
    assert not old_content_types.objects.filter(app_label="admin24", model="activity").exists()
    old_activity = old_apps.get_model("crm", "Activity")
    written = old_activity.objects.create(
        target_type_id=company_type_id,
        target_id=company.pk,
        verb="note",
        text="Записано старой версией",
        actor_id=author.pk,
    )

    migrate()

    row = Activity.objects.get(pk=written.pk)
    assert (row.text, row.actor, row.target) == ("Записано старой версией", author, company)
    assert list(timeline(company)) == [row]
    kernel_type = ContentType.objects.get_for_model(Activity)
    assert kernel_type.app_label == "admin24"
    assert not ContentType.objects.filter(app_label="crm", model="activity").exists()
    assert Permission.objects.filter(content_type=kernel_type, codename="view_activity").exists()
