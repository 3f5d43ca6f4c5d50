"""The committed OpenAPI specs and overlay, installed as the package `conformance.specs`.

Read them through `conformance.data.resources`, never by a path relative to the repository.
"""
