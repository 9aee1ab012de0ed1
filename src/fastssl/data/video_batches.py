"""Batches of video frames for FastLoader's engine path: frames read in groups, and clips.

The engine renders decoded pixels like image files; what is particular to
videos is how a batch's frames are read (video by video, each group of pictures
decoded once) and how clips keep one set of random parameters for all their
frames (they are rendered under their first frame's sample key).
"""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch


def clip_starts(videos: Any, length: int, stride: int) -> np.ndarray:
    """Dataset indices of the first frame of every clip of ``length`` frames taken every
    ``stride`` frames: consecutive, non-overlapping windows of each video (a last
    incomplete window is left out)."""
    span, reach = length * stride, (length - 1) * stride
    starts = [offset + np.arange(0, count - reach, span) for offset, count in zip(videos.offsets, videos.frame_counts())]
    return np.concatenate(starts).astype(np.int64) if starts else np.zeros(0, np.int64)


def read_frames(videos: Any, batch: np.ndarray, on_error: str,
                pool: Optional[Executor] = None) -> Tuple[np.ndarray, List[np.ndarray]]:
    """The batch's frames, read video by video (on ``pool``'s threads); under on_error="skip"
    a video that fails loses its frames of this batch (with a warning) and the others still load.

    Returns the dataset indices that were read and their frames.
    """
    if on_error == "raise":
        return batch, videos.read_frames(batch, pool=pool)
    failed: Dict[int, str] = {}
    frames = videos.read_frames(batch, failed=failed, pool=pool)
    for message in sorted(set(failed.values())):
        warnings.warn(f"skipping frames: {message}", RuntimeWarning, stacklevel=4)
    kept = [pos for pos in range(len(batch)) if pos not in failed]
    return batch[kept], [frames[pos] for pos in kept]


def render_clips(renderer: Any, videos: Any, starts: np.ndarray, length: int, stride: int, epoch: int,
                 on_error: str, pool: Optional[Executor] = None) -> Tuple[List[torch.Tensor], np.ndarray]:
    """Renders the clips starting at dataset frames ``starts`` as (n, T, C, H, W) views.

    Every frame is rendered under its clip's first frame as the sample key, so all
    frames of a clip get the same crop and random draws. A clip missing a frame (a
    skipped video or image) is left out; returns the views and the kept clips' starts.
    """
    frames_of = starts[:, None] + np.arange(length)[None, :] * stride
    read, frames = read_frames(videos, frames_of.ravel(), on_error, pool)
    by_frame = dict(zip(read.tolist(), frames))
    whole = [clip for clip in range(len(starts)) if all(f in by_frame for f in frames_of[clip])]
    rendered = renderer.render(np.repeat(starts[whole], length), epoch,
                               decoded=[by_frame[f] for f in frames_of[whole].ravel()])
    row_of = {row: position for position, row in enumerate(rendered.kept)}
    complete = [i for i in range(len(whole)) if all(i * length + t in row_of for t in range(length))]
    rows = torch.as_tensor([row_of[i * length + t] for i in complete for t in range(length)], dtype=torch.long)
    views = [view.index_select(0, rows).reshape(len(complete), length, *view.shape[1:]) for view in rendered.views]
    return views, starts[whole][complete]
