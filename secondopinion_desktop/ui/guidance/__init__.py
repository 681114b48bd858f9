"""The Guidance tab: the guide, the checklist, what is still missing, and the question bank."""
