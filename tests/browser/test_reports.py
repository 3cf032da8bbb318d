"""Report charts in a real Chromium (issue 16): each chart is drawn and shows its table's numbers."""

import pytest
from playwright.sync_api import expect

from admin24.roles import Role
from tests.factories import DEMO_PASSWORD, LeadFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The numbers each chart was given, and whether its canvas has any painted pixel.
CHARTS = """() => Array.from(document.querySelectorAll("canvas[data-chart]")).map((canvas) => {
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { painted++; } }
  return {key: canvas.dataset.chart, labels: chart.data.labels,
          datasets: chart.data.datasets.map((set) => set.data), painted: painted};
})"""
# Each table's rows: the label and the raw value of every cell.
TABLES = """() => Object.fromEntries(Array.from(document.querySelectorAll("[data-report-table]")).map((section) => [
  section.dataset.reportTable,
  Array.from(section.querySelectorAll("tbody tr")).map((row) => ({
    label: row.querySelector("th").textContent.trim(),
    values: Array.from(row.querySelectorAll("td[data-value]")).map((cell) => cell.dataset.value),
  })),
]))"""


def _number(text):
    return float(text) if text not in ("", "None") else None


def test_the_lead_reports_charts_are_drawn_from_the_numbers_of_their_tables(live_server, browser_page):
    page = browser_page
    admin = UserFactory(username="report-admin", roles=[Role.ADMINISTRATOR])
    for source, stage, count in (("web_form", "qualified", 3), ("web_form", "spam", 2), ("email", "qualified", 1)):
        for _ in range(count):
            LeadFactory(source=source, stage=stage, responsible=admin)
    page.goto(f"{live_server.url}/login/?next=/crm/reports/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/crm/reports/")

    expect(page.locator('canvas[data-chart="lead_sources"][data-drawn="1"]')).to_be_attached()
    charts = {chart["key"]: chart for chart in page.evaluate(CHARTS)}
    tables = page.evaluate(TABLES)
    assert {"lead_stages", "lead_sources", "lead_closing", "callback_ladder"} <= set(charts)
    for key, chart in charts.items():
        assert chart["painted"] > 500, f"{key} is not drawn"
        rows = tables[key]
        assert chart["labels"] == [row["label"] for row in rows]
    # «Leads» and «Qualified» per source are the chart's two series, row by row.
    sources = tables["lead_sources"]
    assert charts["lead_sources"]["datasets"] == [
        [_number(row["values"][0]) for row in sources],
        [_number(row["values"][1]) for row in sources],
    ]
    by_label = {row["label"]: row["values"] for row in sources}
    assert by_label["веб-форма"][:2] == ["5", "3"]
    assert by_label["эл. почта"][:2] == ["1", "1"]
    # The page's table says the same in Russian.
    expect(page.locator("#report-lead_sources")).to_contain_text("60,0\u00a0%")
