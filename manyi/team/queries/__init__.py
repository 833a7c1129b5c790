"""The read side of the team app, one module per area; every list goes through the user's
scope (``manyi.org.scopes``)."""
