"""fitting: sensitivity analyses (and calibration) driving the batch runner."""
