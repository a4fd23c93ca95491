"""Identity resolution (OneID): connected components over identifier edges, stable person ids."""

from portrait.identity.graph import component_labels, resolve_components, resolve_identity

__all__ = ["component_labels", "resolve_components", "resolve_identity"]
