"""Errors of the export path."""


class ExportError(RuntimeError):
    """An artifact could not be produced or failed its check (e.g. a Flex op in TFLite)."""


class ManifestError(ValueError):
    """manifest.json is missing, corrupt, truncated or does not describe a valid export."""
