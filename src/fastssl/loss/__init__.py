"""Self-supervised learning losses with Lightly SSL 1.6.0's names and module paths.

``from fastssl.loss import NTXentLoss`` works like ``from lightly.loss import
NTXentLoss``: same signatures, defaults, values and gradients. The eager
PyTorch code here is the CPU path and the reference of the fused GPU kernels in
:mod:`fastssl.loss.kernels`.
"""

from fastssl.loss.barlow_twins_loss import BarlowTwinsLoss
from fastssl.loss.dcl_loss import DCLLoss, DCLWLoss
from fastssl.loss.dino_loss import DINOLoss
from fastssl.loss.koleo_loss import KoLeoLoss
from fastssl.loss.mmcr_loss import MMCRLoss
from fastssl.loss.msn_loss import MSNLoss
from fastssl.loss.negative_cosine_similarity import NegativeCosineSimilarity
from fastssl.loss.ntx_ent_loss import NTXentLoss
from fastssl.loss.pmsn_loss import PMSNCustomLoss, PMSNLoss
from fastssl.loss.swav_loss import SwaVLoss
from fastssl.loss.sym_neg_cos_sim_loss import SymNegCosineSimilarityLoss
from fastssl.loss.tico_loss import TiCoLoss
from fastssl.loss.vicreg_loss import VICRegLoss

__all__ = [
    "BarlowTwinsLoss",
    "DCLLoss",
    "DCLWLoss",
    "DINOLoss",
    "KoLeoLoss",
    "MMCRLoss",
    "MSNLoss",
    "NTXentLoss",
    "NegativeCosineSimilarity",
    "PMSNCustomLoss",
    "PMSNLoss",
    "SwaVLoss",
    "SymNegCosineSimilarityLoss",
    "TiCoLoss",
    "VICRegLoss",
]
