"""Detectors: one module per behaviour, each a pure function from positions to events.

See ``base`` for the contract and ``runner`` for running them over the store.
"""
