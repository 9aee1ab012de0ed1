"""Training utilities with Lightly SSL 1.6.0's module paths.

- :mod:`fastssl.utils.dist`: rank / world size helpers and an autograd-aware gather.
- :mod:`fastssl.utils.scheduler`: cosine and linear warmup schedules.
- :mod:`fastssl.utils.benchmarking`: kNN prediction for monitoring.
"""
