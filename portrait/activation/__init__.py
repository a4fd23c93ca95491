"""Activation: audiences as code (`audiences`), and the published metrics mart's generated docs (`metrics_docs`)."""
