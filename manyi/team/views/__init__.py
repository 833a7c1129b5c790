"""Team pages, one module per area; each fetches through a scoped getter, validates, calls one
action and renders (htmx fragments start with ``_`` and the full pages include them)."""
