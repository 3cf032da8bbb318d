from django.db import migrations

from admin24.default_access import DEFAULT_ACCESS

ACTIONS = ("read", "edit", "delete")


def seed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    AccessRule = apps.get_model("admin24", "AccessRule")
    for role, entities in DEFAULT_ACCESS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for entity, levels in entities.items():
            for action, level in zip(ACTIONS, levels, strict=True):
                AccessRule.objects.get_or_create(role=group, entity=entity, action=action, defaults={"level": level})


class Migration(migrations.Migration):
    dependencies = [("admin24", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
