"""Imaging CDs and folders (DICOM): scan, import into the inventory, thumbnails, export for the doctor.

``scan.scan_folder`` reads headers only and writes nothing; ``importer.import_imaging`` copies the files into the
vault all-or-nothing; ``thumbnails`` draws one PNG per series; ``export.export_study`` writes a folder with a
DICOMDIR. No Qt here.
"""

from __future__ import annotations

import warnings

# pydicom warns about odd header values by quoting them ("Invalid value for VR PN: '…'"), which can be a
# person's name or birth date: never on the terminal. What matters about a file is said as its problem instead.
warnings.filterwarnings("ignore", module=r"pydicom(\.|$)")
