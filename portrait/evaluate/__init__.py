"""Evaluation against the generator's ground truth (models never read the truth)."""
