# The activity log is the kernel's now (admin24 0004_activity_log): the table stays, Django's state
# moves, and the content type follows so permissions and admin history keep pointing at it.

from django.db import migrations


def content_type_to_kernel(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label="admin24", model="activity").exists():
        content_types.objects.filter(app_label="crm", model="activity").update(app_label="admin24")


def content_type_to_crm(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label="crm", model="activity").exists():
        content_types.objects.filter(app_label="admin24", model="activity").update(app_label="crm")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0006_search_indexes"),
        ("admin24", "0004_activity_log"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Activity")]),
        migrations.RunPython(content_type_to_kernel, content_type_to_crm),
    ]
