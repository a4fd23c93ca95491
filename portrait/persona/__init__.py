"""Persona clustering: features, the choice of k, k-means, canonical order and names."""
