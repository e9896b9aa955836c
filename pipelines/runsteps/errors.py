"""Errors of the app itself (the sources' errors are in `sourcekit.errors`)."""

from __future__ import annotations

from sourcekit.errors import RunstepsError


class BusyError(RunstepsError):
    """Another load holds the pipeline's lock."""


class DataTestsFailed(RunstepsError):
    """Some data tests returned offending rows."""
