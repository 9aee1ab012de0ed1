"""Frame counts of the videos of a folder, cached across runs.

Counting frames opens every video; for a folder of thousands of videos that is
the slow part of building a dataset. The counts are kept in one JSON file per
folder and video backend (decord and PyAV index differently) under
``$FASTSSL_CACHE_DIR`` (default ``~/.cache/fastssl``), keyed by the video's path
relative to the folder, and trusted only while the file's size and
modification time are unchanged. A cache that cannot be written (read-only
home) only costs the recount next time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Dict, Optional

CACHE_ENV = "FASTSSL_CACHE_DIR"
_FORMAT = 1


def cache_dir() -> Path:
    """Where fastssl keeps caches: ``$FASTSSL_CACHE_DIR``, else ``~/.cache/fastssl``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "fastssl")


class FrameCountCache:
    """The cached frame counts of the videos under ``root``, as ``backend`` (a name) counts them.

    Example:
        >>> cache = FrameCountCache("videos/", "PyAVBackend")
        >>> cache.get("videos/a.mp4") is None  # first time: count, then remember
        True
        >>> cache.put("videos/a.mp4", 300); cache.save()
    """

    def __init__(self, root: str, backend: str):
        self.root = os.path.abspath(root)
        digest = hashlib.sha1(f"{backend}\0{self.root}".encode("utf-8")).hexdigest()[:20]
        self.path = cache_dir() / "video_index" / f"{digest}.json"
        self._entries: Dict[str, Dict[str, int]] = self._load()
        self._changed = False

    def _load(self) -> Dict[str, Dict[str, int]]:
        try:
            with open(self.path, encoding="utf-8") as file:
                data = json.load(file)
        except (OSError, ValueError):  # no cache yet, or a broken one: count again
            return {}
        if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("root") != self.root:
            return {}
        videos = data.get("videos")
        return videos if isinstance(videos, dict) else {}

    def _key(self, video: str) -> str:
        return os.path.relpath(os.path.abspath(video), self.root)

    @staticmethod
    def stamp(video: str) -> Dict[str, int]:
        """The file's size and modification time; take it before counting, so that a file
        changed while it is counted is counted again next time."""
        status = os.stat(video)
        return {"size": status.st_size, "mtime_ns": status.st_mtime_ns}

    def get(self, video: str) -> Optional[int]:
        """The cached frame count of ``video``, or None when unknown or the file changed."""
        entry = self._entries.get(self._key(video))
        if not isinstance(entry, dict) or not isinstance(entry.get("frames"), int):
            return None
        try:
            unchanged = {k: entry.get(k) for k in ("size", "mtime_ns")} == self.stamp(video)
        except OSError:
            return None
        return entry["frames"] if unchanged else None

    def put(self, video: str, frames: int, stamp: Dict[str, int]) -> None:
        self._entries[self._key(video)] = {**stamp, "frames": int(frames)}
        self._changed = True

    def save(self) -> None:
        """Writes the cache atomically when it changed; a failure only warns."""
        if not self._changed:
            return
        data = {"format": _FORMAT, "root": self.root, "videos": self._entries}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A unique temporary file, then a rename: concurrent writers (DDP ranks) never mix their bytes.
            handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(data, file)
            os.replace(temporary, self.path)
            self._changed = False
        except OSError as error:
            warnings.warn(f"cannot write the video index cache '{self.path}' ({error}); frames will be counted "
                          f"again next time (set {CACHE_ENV} to a writable folder)", RuntimeWarning, stacklevel=2)
