"""Customer lifetime value: BG/NBD repeat purchases and Gamma-Gamma spend, fitted with
pymc-marketing's CLV module by maximum a posteriori under flat priors (which makes the
estimate the maximum-likelihood one of the literature)."""

from portrait.ltv.models import fit_bgnbd, fit_gamma_gamma, bgnbd_log_likelihood, rfm_summary

__all__ = ["fit_bgnbd", "fit_gamma_gamma", "bgnbd_log_likelihood", "rfm_summary"]
