"""Encryption at rest for a data folder: the key hierarchy (``keys``) and chunked file encryption (``stream``).

Plain Python over ``cryptography`` (AES-256-GCM, HKDF, HMAC) and ``argon2-cffi`` (Argon2id); no Qt, and both
are imported only when a key is derived or a file sealed, so an unencrypted folder never loads them.
"""
