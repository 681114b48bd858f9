"""Plain-Python core of Second Opinion: storage, vault and services. Nothing here imports Qt."""
