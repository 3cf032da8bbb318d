"""A report table's rows as HTML (``admin24.reports.Table.body_html``): what people typed is text."""

from django.utils import translation

from admin24.reports import Cell, Table


def test_a_hostile_company_name_and_link_in_a_table_are_escaped():
    table = Table("top_companies", "Top companies", ["Tickets", "Share"])
    table.add(
        '<script>alert(1)</script> & "Co"', Cell(3, '/servicedesk/?company=7&x="><b>'), Cell(None, kind="percent")
    )
    with translation.override("en"):
        html = table.body_html()
    assert "<script>" not in html and "<b>" not in html
    assert html == (
        '<tr><th scope="row" class="fw-normal">&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;</th>'
        '<td class="text-end" data-value="3"><a href="/servicedesk/?company=7&amp;x=&quot;&gt;&lt;b&gt;">3</a></td>'
        '<td class="text-end" data-value="">—</td></tr>'
    )
