"""Exceptions that name the file and the reason, shared by every backend."""

from __future__ import annotations


class ImageDecodeError(OSError):
    """An image file could not be read or decoded.

    Subclasses OSError because Pillow's own decode errors are OSErrors, so code
    written against Lightly that catches OSError keeps working.
    """

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"cannot decode '{path}': {reason}")
