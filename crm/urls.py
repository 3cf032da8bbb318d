from django.urls import path

from .boards import deal_board, lead_board, regular_deal_board
from .views import billing, deals, directory, home, leads, public, reports, tasks

app_name = "crm"

# Object pages are named "<model>-detail" because crm.links.card_link builds links that way.
urlpatterns = [
    path("", home.home, name="home"),
    *lead_board.urlpatterns("leads/"),
    path("leads/new/", leads.lead_create_view, name="lead-create"),
    path("leads/<int:pk>/", leads.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/edit/", leads.lead_edit, name="lead-edit"),
    path("leads/<int:pk>/move/", leads.lead_move, name="lead-move"),
    path("leads/<int:pk>/qualification/", leads.lead_qualification, name="lead-qualification"),
    path("leads/<int:pk>/duplicate/", leads.lead_duplicate_link, name="lead-duplicate"),
    *deal_board.urlpatterns("deals/"),
    *regular_deal_board.urlpatterns("deals/regular/"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal-detail"),
    path("deals/<int:pk>/save/", deals.deal_save, name="deal-save"),
    path("deals/<int:pk>/files/<slug:kind>/", deals.deal_file, name="deal-file"),
    path("deals/<int:pk>/move/", deals.deal_move, name="deal-move"),
    path("deals/billing/", billing.billing_list, name="billing"),
    path("deals/<int:pk>/invoice/", billing.invoice_upload, name="deal-invoice"),
    path("deals/<int:pk>/invoice/send/", billing.invoice_send_again, name="deal-invoice-send"),
    path("deals/<int:pk>/invoice/paid/", billing.invoice_paid, name="deal-invoice-paid"),
    path("deals/<int:pk>/closing-docs/received/", billing.closing_docs_received, name="deal-closing-docs-received"),
    path("deals/<int:pk>/renewal-contract/", billing.renewal_contract_upload, name="deal-renewal-contract"),
    path("contracts/<int:pk>/end-date/", billing.contract_end_date, name="contract-end-date"),
    path("companies/", directory.company_list, name="company-list"),
    path("companies/new/", directory.company_form, name="company-create"),
    path("companies/<int:pk>/", directory.company_detail, name="company-detail"),
    path("companies/<int:pk>/edit/", directory.company_form, name="company-edit"),
    path("contacts/", directory.contact_list, name="contact-list"),
    path("contacts/new/", directory.contact_form, name="contact-create"),
    path("contacts/<int:pk>/", directory.contact_detail, name="contact-detail"),
    path("contacts/<int:pk>/edit/", directory.contact_form, name="contact-edit"),
    path("reports/", reports.report_page, name="reports"),
    path("reports/<slug:page>/", reports.report_page, name="report"),
    path("tasks/", tasks.my_tasks, name="my_tasks"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task-detail"),
    path("tasks/<int:pk>/complete/", tasks.task_complete_view, name="task-complete"),
    path("tasks/<int:pk>/reopen/", tasks.task_reopen_view, name="task-reopen"),
    path("tasks/<int:pk>/checklist/<int:item_pk>/", tasks.task_checklist_item, name="task-checklist-item"),
    path("request/", public.lead_request, name="public-lead-form"),
    path("request/embed/", public.lead_request_embed, name="public-lead-form-embed"),
]
