"""The CRM's reports (issue 16 §2): read-only selectors that aggregate in SQL, one module per page —
``leads`` (the lead funnel), ``deals`` («Заключение договора»), ``regular`` («Регулярные платежи»).
Each counts only what the viewer may read (``admin24.access.filter_queryset``, as the boards do).
"""
