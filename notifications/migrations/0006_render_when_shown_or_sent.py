"""In-app notifications keep no sentence; outbox rows are rendered when sent.

A notification written before its parameters were kept (``context`` NULL) has nothing but the
texts it was written with, in its recipient's language then. Those become the parameters of a
``reminder`` (whose title and text print them as they are), so they read as they always did and
no fallback to stored sentences stays in the code; their first template is kept beside them.
Outbox rows keep their rendered texts: a pending one is sent with them as written.
"""

from django.db import migrations, models


def texts_as_parameters(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    for note in Notification.objects.filter(context__isnull=True).only("template", "title", "body").iterator():
        note.context = {"title": note.title, "text": note.body, "written_as": note.template}
        note.template = "reminder"
        note.save(update_fields=["context", "template"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_notification_context"),
    ]

    operations = [
        migrations.RunPython(texts_as_parameters, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="notification", name="title"),
        migrations.RemoveField(model_name="notification", name="body"),
        migrations.AlterField(
            model_name="notification",
            name="context",
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name="parameters"),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="time_zone",
            field=models.CharField(blank=True, max_length=64, verbose_name="time zone"),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="recipient_name",
            field=models.CharField(blank=True, max_length=300, verbose_name="recipient's name"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="subject",
            field=models.CharField(blank=True, max_length=500, verbose_name="subject"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="body_text",
            field=models.TextField(blank=True, verbose_name="text part"),
        ),
    ]
