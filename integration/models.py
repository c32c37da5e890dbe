"""Models of the integration app."""
