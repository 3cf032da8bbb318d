"""Board search: a lowercase ``search_text`` on leads and deals, filled for existing rows, and a
pg_trgm GIN index on it where the database is PostgreSQL (admin24.boards.search); the deal
board's column sums from an index; a manager's columns straight off an index."""

from django.db import migrations, models

from admin24.boards.search import backfill, trigram_index_sql

INDEXES = [("crm_lead", "crm_lead_search_trgm"), ("crm_deal", "crm_deal_search_trgm")]


def fill_search_text(apps, schema_editor):
    Lead, Deal = apps.get_model("crm", "Lead"), apps.get_model("crm", "Deal")
    backfill(
        Lead.objects.all(),
        lambda lead: (lead.title, lead.contact_name, lead.company_name, lead.email, lead.phone, lead.phone_normalized),
    )
    backfill(
        Deal.objects.select_related("company", "contact"),
        lambda deal: (
            deal.title,
            deal.client_request,
            deal.company.name if deal.company else "",
            deal.contact.full_name if deal.contact else "",
        ),
    )


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name in INDEXES:
        schema_editor.execute(trigram_index_sql(table, name)[0])


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name in INDEXES:
        schema_editor.execute(trigram_index_sql(table, name)[1])


class Migration(migrations.Migration):
    dependencies = [("crm", "0005_regular_billing")]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="deal",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RemoveIndex(model_name="lead", name="crm_lead_resp_stage"),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["responsible", "stage", "-created_at"], name="crm_lead_resp_board"),
        ),
        migrations.RemoveIndex(model_name="deal", name="crm_deal_resp_stage"),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(fields=["responsible", "pipeline", "stage", "-created_at"], name="crm_deal_resp_board"),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(fields=["pipeline", "stage"], include=["amount"], name="crm_deal_stage_amount"),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
