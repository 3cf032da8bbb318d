"""Board search: a lowercase ``search_text`` on tickets, filled for existing rows, and a pg_trgm
GIN index on it where the database is PostgreSQL (admin24.boards.search); an engineer's columns
straight off an index."""

from django.db import migrations, models

from admin24.boards.search import backfill, trigram_index_sql

INDEX = ("servicedesk_ticket", "sd_ticket_search_trgm")


def fill_search_text(apps, schema_editor):
    Ticket = apps.get_model("servicedesk", "Ticket")
    backfill(
        Ticket.objects.all(),
        lambda t: (f"#{t.number}", t.subject, t.client_name, t.client_email, t.client_company),
    )


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(trigram_index_sql(*INDEX)[0])


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(trigram_index_sql(*INDEX)[1])


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0003_ticket_status_label")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RemoveIndex(model_name="ticket", name="sd_ticket_assignee_status"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["assignee", "status", "-created_at"], name="sd_ticket_assignee_board"),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
