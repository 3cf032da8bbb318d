"""The Service Desk's reports: read-only selectors that aggregate tickets in SQL (issue 16).

``tickets.desk_report`` is the page at /servicedesk/reports/; ``company.company_sla`` the SLA
compliance the company card shows. Every figure counts only the tickets the viewer may read.
"""
