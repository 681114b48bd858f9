"""Reading what patient portals give out: C-CDA documents, IHE XDM zips, FHIR R4 (and DSTU2) JSON, Apple Health
exports — locally, never fetching or running anything in them.

- ``model``: what every reader returns (frozen dataclasses): documents, their sections, lab results,
  medications, allergies, problems, embedded files, what was skipped and why.
- ``safety``: the one way to open untrusted input: XML with no DTD entities, zips without traversal or bombs,
  JSON without runaway nesting, sizes with limits.
- ``ccda``, ``fhir``, ``apple``: one reader per format. ``package``: a path (file, zip or folder) to a
  ``Package`` of documents, whatever the format, de-duplicated.
- ``importer``: the preview against the data folder and the all-or-nothing import; ``labs``: the structured
  results kept; ``render``: a document as readable text.
"""
