"""Reusable model modules, as in ``lightly.models.modules``: heads and memory banks."""

from fastssl.models.modules.heads import (
    BarlowTwinsProjectionHead,
    BYOLPredictionHead,
    BYOLProjectionHead,
    CAPIProjectionHead,
    DenseCLProjectionHead,
    DINOProjectionHead,
    DINOv2ProjectionHead,
    LeJEPAProjectionHead,
    LeWMProjectionHead,
    MMCRProjectionHead,
    MoCoProjectionHead,
    MSNProjectionHead,
    NNCLRPredictionHead,
    NNCLRProjectionHead,
    ProjectionHead,
    SimCLRProjectionHead,
    SimSiamPredictionHead,
    SimSiamProjectionHead,
    SMoGPredictionHead,
    SMoGProjectionHead,
    SMoGPrototypes,
    SwaVProjectionHead,
    SwaVPrototypes,
    TiCoProjectionHead,
    VICRegProjectionHead,
    VicRegLLocalProjectionHead,
)
from fastssl.models.modules.memory_bank import MemoryBankModule
from fastssl.models.modules.nn_memory_bank import NNMemoryBankModule
