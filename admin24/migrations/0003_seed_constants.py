from django.db import migrations

from admin24.constants import SEEDED


def seed(apps, schema_editor):
    GlobalConstant = apps.get_model("admin24", "GlobalConstant")
    for constant in SEEDED:
        GlobalConstant.objects.get_or_create(
            identifier=constant.identifier,
            defaults={
                "name": constant.name,
                "type": constant.type,
                "required": False,
                "multiple": False,
                "value": constant.default,
                "description": constant.description,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("admin24", "0002_seed_roles_and_access")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
