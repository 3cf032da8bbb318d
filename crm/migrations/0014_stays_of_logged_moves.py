"""The moves logged before the engine stored the stay's length get it from the log itself: the
time from the previous move of the same lead or deal (from its creation, for the first move) to
this one, as the deal report used to work it out at every reading."""

from django.db import migrations

BATCH = 2000


def fill_stays(apps, schema_editor):
    Activity = apps.get_model("admin24", "Activity")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for name in ("lead", "deal"):
        kind = ContentType.objects.filter(app_label="crm", model=name).first()
        if kind is None:
            continue
        moves = Activity.objects.filter(target_type=kind, verb="moved")
        # The targets as a subquery, not a list of ids read into Python and bound back as
        # parameters: SQLite's default build refuses more than 32,766 of them.
        targets = moves.filter(stay_seconds__isnull=True).values("target_id")
        if not targets.exists():
            continue
        born = dict(apps.get_model("crm", name).objects.filter(pk__in=targets).values_list("pk", "created_at"))
        # Every move of those targets, the ones that have a stay already included: they are the
        # previous moves of the ones that have none.
        rows = (
            moves.filter(target_id__in=targets)
            .order_by("target_id", "created_at", "id")
            .values_list("id", "target_id", "created_at", "stay_seconds")
        )
        changed, previous_target, entered = [], None, None
        for pk, target, at, stay in rows.iterator(chunk_size=BATCH):
            if target != previous_target:
                previous_target, entered = target, born.get(target)
            if stay is None and entered is not None:
                changed.append(Activity(pk=pk, stay_seconds=(at - entered).total_seconds()))
            entered = at
            if len(changed) >= BATCH:
                Activity.objects.bulk_update(changed, ["stay_seconds"])
                changed = []
        Activity.objects.bulk_update(changed, ["stay_seconds"])


class Migration(migrations.Migration):
    dependencies = [
        ("admin24", "0008_activity_stay_seconds"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("crm", "0013_task_results_and_closing_reasons_of_old_rows"),
    ]

    operations = [migrations.RunPython(fill_stays, migrations.RunPython.noop)]
