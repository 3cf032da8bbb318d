from django.db import migrations

QUALIFICATION_ITEMS = "\n".join(
    [
        "Какие задачи выполняют серверы?",
        "В каких программах работают пользователи?",
        "Есть ли виртуальные или удалённые серверы?",
        "Что не устраивает в работе текущего администратора?",
        "Какие сейчас есть проблемы с IT?",
    ]
)


def seed(apps, schema_editor):
    ChecklistTemplate = apps.get_model("crm", "ChecklistTemplate")
    ChecklistTemplate.objects.get_or_create(
        code="lead-qualification",
        defaults={"name": "Квалификация лида", "items": QUALIFICATION_ITEMS},
    )


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
