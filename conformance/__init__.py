"""slskd-conformance: contract tests and conformance checker for the slskd REST API."""

__version__ = "0.1.0"
