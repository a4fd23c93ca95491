"""Identity resolution (OneID): connected components over identifier edges, stable person ids."""

from portrait.identity.graph import component_labels, decide_edges, resolve_components

__all__ = ["component_labels", "decide_edges", "resolve_components"]
