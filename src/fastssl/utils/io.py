"""Embeddings as CSV files in Lightly's format, at Lightly's module path.

The format: a header ``filenames,embedding_0,...,embedding_{d-1},labels``, then
one row per image. Files written by Lightly load here and the other way round.
"""

from __future__ import annotations

import csv
import json
import re
from typing import Any, Dict, List, Sequence, Tuple, Union

import numpy as np

_EMBEDDING_COLUMN = re.compile(r"embedding_\d+")
_KEPT_COLUMNS = re.compile(r"filenames|(embedding_\d+)|labels")


def check_embeddings(path: str, remove_additional_columns: bool = False) -> None:
    """Raises a RuntimeError when the CSV at ``path`` is not in Lightly's format.

    Checks the header (``filenames`` first, ``embedding_x`` columns, a ``labels``
    column, no whitespace) and that no row is empty.

    Args:
        path: The embeddings CSV file.
        remove_additional_columns: Rewrite the file with only the filenames,
            embedding and labels columns.
    """
    with open(path, "r", newline="") as csv_file:
        reader = csv.reader(csv_file, delimiter=",")
        header: List[str] = next(reader)
        if any(column != column.strip() for column in header):
            raise RuntimeError("Embeddings csv file must not contain whitespaces.")
        if header[0] != "filenames":
            raise RuntimeError(f"Embeddings csv file must start with `filenames` column but had {header[0]} instead.")
        if "labels" not in header:
            raise RuntimeError("Embeddings csv file has no `labels` column.")
        for column in header[1:header.index("labels")]:
            if not _EMBEDDING_COLUMN.match(column) and column not in ("masked", "selected"):
                raise RuntimeError(f"Embeddings csv file must have `embedding_x` columns but found {column} instead.")
        for line, row in enumerate(reader):
            if not row:
                raise RuntimeError(f"Embeddings csv file must not have empty rows. Found empty row on line {line}.")
    if remove_additional_columns:
        with open(path, "r", newline="") as csv_file:
            rows = list(csv.reader(csv_file, delimiter=","))
        keep = [bool(_KEPT_COLUMNS.match(column)) for column in rows[0]]
        with open(path, "w", newline="") as csv_file:
            csv.writer(csv_file, delimiter=",").writerows(
                [value for value, kept in zip(row, keep) if kept] for row in rows)


def save_embeddings(path: str, embeddings: np.ndarray, labels: Sequence[int], filenames: Sequence[str]) -> None:
    """Writes embeddings (n x d), labels and filenames as a CSV in Lightly's format.

    Raises:
        ValueError: If embeddings, labels and filenames have different lengths.

    Example:
        >>> save_embeddings("embeddings.csv", np.zeros((2, 3)), [0, 1], ["a.jpg", "b.jpg"])
    """
    if not len(embeddings) == len(labels) == len(filenames):
        raise ValueError("Length of embeddings, labels, and filenames should be equal  but are not: "
                         f"({len(embeddings)}, {len(filenames)}, {len(labels)})")
    dim = np.shape(embeddings)[-1]
    header = ["filenames"] + [f"embedding_{i}" for i in range(dim)] + ["labels"]
    with open(path, "w", newline="") as csv_file:
        writer = csv.writer(csv_file, delimiter=",")
        writer.writerow(header)
        for filename, embedding, label in zip(filenames, embeddings, labels):
            writer.writerow([filename] + list(embedding) + [str(label)])


def _read_embeddings_csv(path: str, with_embeddings: bool) -> Tuple[List[List[str]], List[int], List[str]]:
    """The checked CSV's rows: (embedding values as text, or nothing without with_embeddings; labels; filenames)."""
    check_embeddings(path)
    embeddings, labels, filenames = [], [], []
    with open(path, "r", newline="") as csv_file:
        reader = csv.reader(csv_file, delimiter=",")
        next(reader)
        for row in reader:
            filenames.append(row[0])
            labels.append(int(row[-1]))
            if with_embeddings:
                embeddings.append(row[1:-1])
    return embeddings, labels, filenames


def load_embeddings(path: str) -> Tuple[np.ndarray, List[int], List[str]]:
    """Reads a CSV in Lightly's format: (embeddings as float64 n x d, labels, filenames)."""
    embeddings, labels, filenames = _read_embeddings_csv(path, with_embeddings=True)
    return np.array(embeddings).astype(np.float64), labels, filenames


def load_labels_and_filenames(path: str) -> Tuple[List[int], List[str]]:
    """The labels and filenames of a CSV in Lightly's format, without parsing its embeddings."""
    _, labels, filenames = _read_embeddings_csv(path, with_embeddings=False)
    return labels, filenames


def load_embeddings_as_dict(path: str, embedding_name: str = "default",
                            return_all: bool = False) -> Union[Dict[str, Any], Tuple[Any, ...]]:
    """The embeddings of a CSV as Lightly's upload dictionary.

    Returns ``{"embeddingName": ..., "embeddings": [{"fileName", "value", "label"}, ...]}``,
    or with ``return_all`` the tuple ``(dict, embeddings, labels, filenames)``.
    """
    embeddings, labels, filenames = load_embeddings(path)
    data = {
        "embeddingName": embedding_name,
        "embeddings": [{"fileName": filename, "value": embedding.tolist(), "label": label}
                       for embedding, filename, label in zip(embeddings, filenames, labels)],
    }
    return (data, embeddings, labels, filenames) if return_all else data


class COCO_ANNOTATION_KEYS:  # noqa: N801 - Lightly's name
    """COCO annotation keys, plus the key of custom metadata."""

    images: str = "images"
    images_id: str = "id"
    images_filename: str = "file_name"
    custom_metadata: str = "metadata"
    custom_metadata_image_id: str = "image_id"


def format_custom_metadata(custom_metadata: List[Tuple[str, Any]]) -> Dict[str, List[Any]]:
    """(filename, metadata dict) pairs as COCO-style ``{"images": [...], "metadata": [...]}``."""
    keys = COCO_ANNOTATION_KEYS
    return {
        keys.images: [{keys.images_id: i, keys.images_filename: filename}
                      for i, (filename, _) in enumerate(custom_metadata)],
        keys.custom_metadata: [{keys.custom_metadata_image_id: i, **metadata}
                               for i, (_, metadata) in enumerate(custom_metadata)],
    }


def save_custom_metadata(path: str, custom_metadata: List[Tuple[str, Any]]) -> None:
    """Writes :func:`format_custom_metadata` of ``custom_metadata`` as JSON."""
    with open(path, "w") as file:
        json.dump(format_custom_metadata(custom_metadata), file)


def save_tasks(path: str, tasks: List[str]) -> None:
    """Writes a list of prediction task names as JSON."""
    with open(path, "w") as file:
        json.dump(tasks, file)


def save_schema(path: str, task_type: str, ids: List[int], names: List[str]) -> None:
    """Writes a prediction schema (task type and categories) as JSON.

    Raises:
        ValueError: If ``ids`` and ``names`` differ in length.
    """
    if len(ids) != len(names):
        raise ValueError("ids and names must have same length!")
    schema = {"task_type": task_type, "categories": [{"id": i, "name": name} for i, name in zip(ids, names)]}
    with open(path, "w") as file:
        json.dump(schema, file)
