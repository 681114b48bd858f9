"""Data files shipped with Second Opinion (installed as ``secondopinion_desktop.resources``)."""
