"""The pure screening core: no web framework, database or HTTP client is imported here.

The web, storage, CSV and CLI layers are thin shells around `screen()`.
"""
