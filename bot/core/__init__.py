"""The pure core: knowledge loading and validation, normalisation, matching, rendering.

Nothing in this package imports telegram; it is tested with plain strings.
"""
