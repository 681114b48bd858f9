"""Imaging: import a DICOM folder or CD (preview first, then all-or-nothing import) and export for the doctor."""

from secondopinion_desktop.ui.imaging.dialog import ImportImagingDialog, export_images, open_import_imaging

__all__ = ["ImportImagingDialog", "export_images", "open_import_imaging"]
