"""Fitting the model to data: the calibration driver (ABC-SMC with pyABC) and its outputs.

The room sits between ``jobs`` (which will run calibrations as durable jobs) and
``workers`` (whose one replicate loop every simulation here goes through).
"""
