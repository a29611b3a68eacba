"""Schema migrations of the cache service, applied in name order."""
