"""Details of reading that cost a patient a value: decimal commas, narrative dates, cells spanning columns."""

from __future__ import annotations

import pytest
from helpers import ccda_samples as cs

from secondopinion_desktop.core.portal.ccda import loose_time, read_ccda
from secondopinion_desktop.core.portal.model import number_of


@pytest.mark.parametrize("text, number", [
    ("13.2", 13.2), ("-1", -1.0), ("1e3", 1000.0), ("1,200", 1200.0), ("12,500.5", 12500.5), (".5", 0.5),
    ("0,8", None), ("1,5", None), ("1_000", None), ("1,2345", None), ("<0.01", None), ("nan", None),
    ("inf", None), ("Positive", None),
])
def test_a_number_is_read_only_when_it_is_plain(text: str, number: float | None) -> None:
    assert number_of(text) == number


@pytest.mark.parametrize("text, iso", [
    ("2024-03-12 9:08 AM", "2024-03-12T09:08"), ("2024-03-12 9:08 PM", "2024-03-12T21:08"),
    ("03/12/24", "2024-03-12"), ("03/12/2024 10:05", "2024-03-12T10:05"), ("12.03.2024", "2024-03-12"),
    ("Mar 12, 2024", "2024-03-12"), ("12-Mar-2024 14:00", "2024-03-12T14:00"), ("03/12/99", "1999-03-12"),
    ("99/99/99", ""), ("soon", ""),
])
def test_narrative_times(text: str, iso: str) -> None:
    assert loose_time(text) == iso


def test_a_cell_spanning_columns_leaves_the_later_ones_in_their_place() -> None:
    table = ("<table><thead><tr><th>Test</th><th>Result</th><th>Units</th><th>Reference range</th><th>Flag</th>"
             "<th>Date</th></tr></thead><tbody>"
             "<tr><td>Platelets</td><td colspan=\"3\">Clumped, unable to count</td><td></td>"
             "<td>2024-03-12 9:08 AM</td></tr>"
             "<tr><td>Hemoglobin</td><td>13.2</td><td>g/dL</td><td>12.0-15.5</td><td></td>"
             "<td>2024-03-12 9:08 AM</td></tr></tbody></table>")
    body = cs.structured(cs.section("Results", "30954-2", "2.16.840.1.113883.10.20.22.2.3.1", table))
    doc = read_ccda(cs.wrap(cs.header(), body), "DOC0001.XML").documents[0]
    results = {r.test: r for rep in doc.reports for r in rep.results}
    assert results["Platelets"].value == "Clumped, unable to count"
    assert results["Platelets"].flag == "" and results["Platelets"].when == "2024-03-12T09:08"
    assert results["Hemoglobin"].number == 13.2 and results["Hemoglobin"].when == "2024-03-12T09:08"
