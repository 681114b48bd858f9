"""The same features on an encrypted folder: a representative part of the suite runs a second time with its
``folder`` fixture encrypted (SECONDOPINION_TEST_ENCRYPTED=1, tests/conftest.py) — records and attachments, the
packet (front, appendix, requests, robustness), documents (reading, index, suggestions), portal imports, imaging,
health, requests and shipments, appointments and opinions, letters, the hand-off folder, pre-flight and
readiness, the calendar, the comparison and after-consult PDFs, the check and the sample case.

Left out are only the tests that reach around the folder on purpose, which an encrypted folder rightly refuses:
they open the database with plain sqlite3, read a stored file by its path (sealed there, under a keyed name),
compare the vault's file names with plain digests, reopen the folder by its path without its key, or watch for
the child processes that copy a plain folder's files (an encrypted folder's are decrypted by the app itself).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sqlcipher3")

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "tests/core/test_records.py", "tests/core/test_records_units.py", "tests/core/test_records_undo_support.py",
    "tests/core/test_packet.py", "tests/core/test_packet_front.py", "tests/core/test_packet_requests.py",
    "tests/core/test_packet_robust.py", "tests/core/test_health.py", "tests/core/test_requests.py",
    "tests/core/test_shipments.py", "tests/core/test_appointments.py", "tests/core/test_opinions.py",
    "tests/core/test_handoff.py", "tests/core/test_imaging.py", "tests/core/test_imaging_services.py",
    "tests/core/test_letters.py", "tests/core/test_check.py", "tests/core/test_demo.py",
    "tests/core/test_preflight.py", "tests/core/test_readiness.py", "tests/core/test_calendar.py",
    "tests/core/test_after_consult_pdf.py", "tests/core/test_comparison.py", "tests/core/documents",
    "tests/core/portal",
]
REACHING_AROUND = [  # see the module's docstring
    "tests/core/test_records.py::test_attach_pdf_and_png",  # reads the stored file by its path
    "tests/core/test_records.py::test_failed_insert_keeps_a_vault_file_another_record_uses",  # vault names
    "tests/core/test_records.py::test_same_file_on_two_records_is_stored_once",  # vault names
    "tests/core/test_demo.py::test_attachments_are_in_the_vault_and_verify",  # vault names
    "tests/core/test_demo.py::test_pdfs_are_one_page_reports_marked_as_samples",  # stored files by path
    "tests/core/test_demo.py::test_pngs_are_valid_images",  # stored files by path
    "tests/core/test_packet_front.py::test_the_cli_flag_puts_the_imaging_pictures_back",  # the CLI, no passphrase
    "tests/core/test_opinions.py::test_every_change_stamps_the_folder",  # summary by path, without the key
    "tests/core/documents/test_suggest.py::test_the_sample_case_reports_give_their_records_fields",  # by path
    "tests/core/documents/test_index.py::test_a_long_document_is_stored_in_parts_and_waits_out_another_writer",
    "tests/core/test_packet_robust.py::test_a_damaged_stored_file_is_left_out_of_the_packet_and_named",  # bytes
    "tests/core/test_check.py::test_start_up_sweep_removes_only_old_unreferenced_files",  # vault names
    "tests/core/test_handoff.py::test_the_copying_processes_write_what_copies_made_here_would",  # child copies
    "tests/core/test_imaging.py::test_import_makes_one_imaging_record_per_study_with_files_in_the_vault",  # path
]


@pytest.mark.timeout(1800)  # the inner run is a few minutes of tests
@pytest.mark.skipif(os.environ.get("SECONDOPINION_TEST_ENCRYPTED") is not None, reason="this is the inner run")
def test_the_features_work_the_same_on_an_encrypted_folder(tmp_path: Path) -> None:
    deselect = [arg for node in REACHING_AROUND for arg in ("--deselect", node)]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "run"),
         *MODULES, *deselect],
        env={**os.environ, "SECONDOPINION_TEST_ENCRYPTED": "1"}, capture_output=True, text=True, timeout=1800,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
