"""fastssl.utils.lars / io / optim against Lightly's modules of the same paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lightly.utils import io as lightly_io
from lightly.utils.lars import LARS as LightlyLARS
from lightly.utils.optim import update_param_groups as lightly_update_param_groups

from fastssl.utils import io
from fastssl.utils.lars import LARS
from fastssl.utils.optim import update_param_groups


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5), torch.nn.Linear(5, 3))


def _groups(model: torch.nn.Module) -> list:
    decay = [p for name, p in model.named_parameters() if name.endswith("weight") and p.dim() > 1]
    other = [p for name, p in model.named_parameters() if not (name.endswith("weight") and p.dim() > 1)]
    return [{"params": decay, "weight_decay": 1e-4}, {"params": other, "weight_decay": 0.0}]


@pytest.mark.parametrize("options", [dict(momentum=0.9), dict(momentum=0.9, nesterov=True), dict(momentum=0.0),
                                     dict(momentum=0.9, dampening=0.1, trust_coefficient=0.01)],
                         ids=["momentum", "nesterov", "plain", "dampening"])
def test_lars_steps_equal_lightly(options):
    ours, theirs = _model(), _model()
    optimizers = [LARS(_groups(ours), lr=0.5, **options), LightlyLARS(_groups(theirs), lr=0.5, **options)]
    torch.manual_seed(1)
    for _ in range(5):
        x = torch.randn(8, 6)
        for model, optimizer in zip((ours, theirs), optimizers):
            optimizer.zero_grad()
            model(x).pow(2).sum().backward()
            optimizer.step()
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("kwargs, message", [(dict(lr=-1.0), "Invalid learning rate: -1.0"),
                                             (dict(lr=0.1, momentum=-1.0), "Invalid momentum value: -1.0"),
                                             (dict(lr=0.1, weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
                                             (dict(lr=0.1, nesterov=True), "Nesterov momentum requires")])
def test_lars_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LARS(_model().parameters(), **kwargs)
    with pytest.raises(ValueError, match=message):
        LightlyLARS(_model().parameters(), **kwargs)


def test_embeddings_csv_round_trips_with_lightly(tmp_path):
    embeddings = np.random.default_rng(0).normal(size=(5, 3))
    labels, filenames = [0, 1, 0, 2, 1], [f"dir/img_{i}.jpg" for i in range(5)]
    io.save_embeddings(str(tmp_path / "ours.csv"), embeddings, labels, filenames)
    lightly_io.save_embeddings(str(tmp_path / "theirs.csv"), embeddings, labels, filenames)
    assert (tmp_path / "ours.csv").read_text() == (tmp_path / "theirs.csv").read_text()
    for loaded in (io.load_embeddings(str(tmp_path / "theirs.csv")), lightly_io.load_embeddings(str(tmp_path / "ours.csv"))):
        np.testing.assert_array_equal(loaded[0], embeddings)
        assert loaded[1:] == (labels, filenames)


@pytest.mark.parametrize("header, message", [
    ("name,embedding_0,labels", "must start with `filenames` column but had name instead"),
    ("filenames,embedding_0", "has no `labels` column"),
    ("filenames,emb_0,labels", "must have `embedding_x` columns but found emb_0 instead"),
    ("filenames, embedding_0,labels", "must not contain whitespaces"),
])
def test_check_embeddings_errors_equal_lightly(tmp_path, header, message):
    path = tmp_path / "bad.csv"
    path.write_text(header + "\na.jpg,1.0,0\n")
    for check in (io.check_embeddings, lightly_io.check_embeddings):
        with pytest.raises(RuntimeError, match=message):
            check(str(path))


def test_check_embeddings_removes_additional_columns_like_lightly(tmp_path):
    text = "filenames,embedding_0,selected,labels,extra\na.jpg,1.0,1,0,x\n"
    (tmp_path / "ours.csv").write_text(text)
    (tmp_path / "theirs.csv").write_text(text)
    io.check_embeddings(str(tmp_path / "ours.csv"), remove_additional_columns=True)
    lightly_io.check_embeddings(str(tmp_path / "theirs.csv"), remove_additional_columns=True)
    assert (tmp_path / "ours.csv").read_text() == (tmp_path / "theirs.csv").read_text()


def test_save_embeddings_length_mismatch():
    with pytest.raises(ValueError, match=r"should be equal  but are not: \(2, 1, 2\)"):
        io.save_embeddings("unused.csv", np.zeros((2, 3)), [0, 1], ["a.jpg"])


def _optimizer() -> torch.optim.Optimizer:
    w = torch.nn.Parameter(torch.zeros(1))
    return torch.optim.SGD([{"name": "model", "params": [w]},
                            {"name": "head", "params": [torch.nn.Parameter(torch.zeros(1))], "weight_decay": 0.5}],
                           lr=0.1, weight_decay=0.2)


def test_update_param_groups_equals_lightly():
    ours, theirs = _optimizer(), _optimizer()
    for update, optimizer in ((update_param_groups, ours), (lightly_update_param_groups, theirs)):
        update(optimizer, default_update={"weight_decay": 0.3, "unknown": 1}, updates=[{"name": "head", "lr": 0.7}])
    strip = lambda groups: [{k: v for k, v in g.items() if k != "params"} for g in groups]  # noqa: E731
    assert strip(ours.param_groups) == strip(theirs.param_groups)
    for update in (update_param_groups, lightly_update_param_groups):
        with pytest.raises(ValueError, match="No param group with name 'nope' in optimizer."):
            update(_optimizer(), updates=[{"name": "nope", "lr": 1.0}])
        with pytest.raises(ValueError, match="Key 'betas' not found in param group with name 'model'."):
            update(_optimizer(), updates=[{"name": "model", "betas": 1.0}])


def test_metadata_tasks_schema_and_upload_dict_equal_lightly(tmp_path):
    metadata = [("hello.png", {"number_of_people": 1}), ("world.png", {"number_of_people": 3})]
    assert io.format_custom_metadata(metadata) == lightly_io.format_custom_metadata(metadata)
    for module, name in ((io, "ours"), (lightly_io, "theirs")):
        module.save_custom_metadata(str(tmp_path / f"{name}_meta.json"), metadata)
        module.save_tasks(str(tmp_path / f"{name}_tasks.json"), ["a", "b"])
        module.save_schema(str(tmp_path / f"{name}_schema.json"), "classification", [0, 1], ["cat", "dog"])
    for stem in ("meta", "tasks", "schema"):
        assert (tmp_path / f"ours_{stem}.json").read_text() == (tmp_path / f"theirs_{stem}.json").read_text()
    for module in (io, lightly_io):
        with pytest.raises(ValueError, match="ids and names must have same length!"):
            module.save_schema(str(tmp_path / "x.json"), "classification", [0], ["a", "b"])
    io.save_embeddings(str(tmp_path / "e.csv"), np.eye(2), [0, 1], ["a.jpg", "b.jpg"])
    ours = io.load_embeddings_as_dict(str(tmp_path / "e.csv"), embedding_name="E", return_all=True)
    theirs = lightly_io.load_embeddings_as_dict(str(tmp_path / "e.csv"), embedding_name="E", return_all=True)
    assert ours[0] == theirs[0] and ours[2:] == theirs[2:]
    assert vars(io.COCO_ANNOTATION_KEYS).keys() >= {"images", "images_id", "images_filename", "custom_metadata",
                                                    "custom_metadata_image_id"}
