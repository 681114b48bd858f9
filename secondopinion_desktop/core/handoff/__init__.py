"""A folder for the doctor: the packet, the images as DICOM under one DICOMDIR, the documents, an index."""
