"""The catalog service's numbered migrations (``sim2l-catalog-service migrate``)."""
