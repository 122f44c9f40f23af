"""Fitting and explaining the model: the calibration driver (ABC-SMC with pyABC), the
global sensitivity driver (Morris and Sobol with SALib), and their outputs.

The room sits between ``jobs`` (which will run calibrations and sensitivity analyses as
durable jobs) and ``workers`` (whose one replicate loop every simulation here goes
through).
"""
