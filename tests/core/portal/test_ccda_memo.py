"""Reading a download's documents with one memo (what package.read_path does) gives exactly what reading each
document on its own gives: repeated observations, organizers and table rows are only read faster."""

from __future__ import annotations

from helpers import ccda_samples as cs
from helpers.xdm_samples import visits

from secondopinion_desktop.core.portal.ccda import Memo, read_ccda


def _read_all(docs: list[bytes], memo: Memo | None) -> list:
    return [read_ccda(d, f"IHE_XDM/SUBSET01/DOC{i:04d}.XML", memo).documents for i, d in enumerate(docs, 1)]


def test_visit_by_visit_documents_read_the_same_with_and_without_the_memo() -> None:
    docs = visits(12, new_per_visit=2)
    memo = Memo()
    assert _read_all(docs, memo) == _read_all(docs, None)
    assert memo.organizers and memo.rows  # it was used


def test_vendor_quirks_read_the_same_with_and_without_the_memo() -> None:
    docs = [cs.epic_like(), cs.cerner_like(), cs.allscripts_like(), cs.broken_entry(), cs.epic_like(),
            cs.broken_entry(), cs.latin1(), cs.prefixed()]
    assert _read_all(docs, Memo()) == _read_all(docs, None)


def test_the_same_observation_refers_to_the_narrative_of_its_own_document() -> None:
    """Epic-like results name their test only through a reference into the narrative: the same entry markup in
    another document whose narrative says otherwise reads that document's words."""
    first = cs.epic_like()
    second = first.replace(b"Glucose", b"Glucose, fasting")
    assert first != second
    memo = Memo()
    one = read_ccda(first, "a.xml", memo).documents[0]
    two = read_ccda(second, "b.xml", memo).documents[0]
    tests_one = [r.test for rep in one.reports for r in rep.results]
    tests_two = [r.test for rep in two.reports for r in rep.results]
    assert tests_two == [r.test for rep in read_ccda(second, "b.xml").documents[0].reports for r in rep.results]
    assert tests_one != tests_two
