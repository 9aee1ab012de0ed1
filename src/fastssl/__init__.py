"""fastssl: a fast, drop-in data engine for self-supervised learning.

Public names and module paths mirror Lightly SSL 1.6.0, so that replacing
``lightly`` with ``fastssl`` in user code works. See ``python -m fastssl info``
for the optional backends found on this machine.
"""

__version__ = "0.1.0"
