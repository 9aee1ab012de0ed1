"""Exceptions that name the file and the reason, shared by every backend."""

from __future__ import annotations

from typing import Optional


class ImageDecodeError(OSError):
    """An image file could not be read or decoded.

    Subclasses OSError because Pillow's own decode errors are OSErrors, so code
    written against Lightly that catches OSError keeps working.
    """

    def __init__(self, path: str, reason: Optional[str] = None):
        # With one argument, ``path`` is a whole message: DataLoader workers
        # re-raise an error in the main process as ``type(error)(message)``.
        self.path = path if reason is not None else None
        self.reason = reason
        super().__init__(path if reason is None else f"cannot decode '{path}': {reason}")
