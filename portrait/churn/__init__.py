"""Churn propensity: a calibrated gradient-boosting model on leakage-safe snapshots."""
