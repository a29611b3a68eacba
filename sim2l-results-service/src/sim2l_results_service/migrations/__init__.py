"""Schema migrations of the results service (see ``sim2l_sessions.migrations``)."""
