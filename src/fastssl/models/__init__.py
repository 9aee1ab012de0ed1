"""Models for self-supervised learning, with the module paths of ``lightly.models``.

- :mod:`fastssl.models.modules`: projection / prediction heads and memory banks.
- :mod:`fastssl.models.utils`: momentum updates, batch shuffling, parameter groups.
- :func:`ResNetGenerator`: Lightly's CIFAR-style ResNets.
"""

from fastssl.models import utils
from fastssl.models.resnet import ResNetGenerator
