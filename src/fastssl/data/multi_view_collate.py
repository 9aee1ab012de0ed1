"""MultiViewCollate: batches (views, label, filename) samples view by view."""

from __future__ import annotations

from typing import List, Sequence, Tuple
from warnings import warn

import torch
from torch import Tensor


class MultiViewCollate:
    """Collates a batch of (views, label, filename) tuples into (views, labels, filenames).

    ``views[i]`` stacks view i of every image along a new batch dimension,
    ``labels`` is a ``torch.long`` tensor and ``filenames`` a list. An empty
    batch warns and returns ``([], tensor([]), [])``, as in Lightly.

    Example:
        >>> collate = MultiViewCollate()
        >>> batch = [([torch.zeros(3, 8, 8), torch.ones(3, 4, 4)], 1, "a.png")] * 2
        >>> views, labels, fnames = collate(batch)
        >>> [tuple(v.shape) for v in views], labels.tolist(), fnames
        ([(2, 3, 8, 8), (2, 3, 4, 4)], [1, 1], ['a.png', 'a.png'])
    """

    def __call__(
        self, batch: Sequence[Tuple[Sequence[Tensor], int, str]]
    ) -> Tuple[List[Tensor], Tensor, List[str]]:
        """Turns a list of (views, label, filename) into (views, labels, filenames)."""
        labels = [label for _, label, _ in batch]
        fnames = [fname for _, _, fname in batch]
        if len(batch) == 0:
            warn("MultiViewCollate received empty batch.")
            return [], torch.tensor(labels, dtype=torch.long), fnames
        num_views = len(batch[0][0])
        for views, _, fname in batch:
            if len(views) != num_views:
                raise ValueError(
                    f"every sample must have {num_views} views, but '{fname}' has {len(views)}"
                )
        stacked = [torch.stack([views[i] for views, _, _ in batch]) for i in range(num_views)]
        return stacked, torch.tensor(labels, dtype=torch.long), fnames
