"""Backward compatible path of the memory bank, as ``lightly.loss.memory_bank``."""

from fastssl.models.modules.memory_bank import MemoryBankModule

__all__ = ["MemoryBankModule"]
