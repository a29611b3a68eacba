"""Fixtures of the sim2l-sessions tests: stores on both backends.

``store`` and ``manager`` come from the shared pytest plugin
(``sim2l_service_kit.testing``), as do the database and home fixtures.
"""
