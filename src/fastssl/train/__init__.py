"""Self-supervised training on fastssl's loaders: methods, backbones, the loop, and what comes after.

- :func:`train` / ``fastssl train``: SimCLR, MoCo v2, BYOL, SimSiam, Barlow Twins,
  VICReg, DINO, SwaV, NNCLR on a folder of images, with checkpoints and resume.
- :mod:`fastssl.train.embeddings`: embeddings of a folder, kNN accuracy, nearest
  images and diverse subsets (``fastssl embed / knn / similar / select``).
"""

from fastssl.train.backbones import BACKBONES, build_backbone
from fastssl.train.config import TrainConfig
from fastssl.train.methods import METHODS, SSLMethod, build_method
from fastssl.train.trainer import TrainResult, TrainState, train

__all__ = ["BACKBONES", "METHODS", "SSLMethod", "TrainConfig", "TrainResult", "TrainState", "build_backbone",
           "build_method", "train"]
