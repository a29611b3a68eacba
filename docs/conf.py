"""Sphinx configuration of the sim2l documentation site (``make docs``)."""

import importlib.metadata

project = "sim2l database services"
author = "the sim2l developers"
release = importlib.metadata.version("sim2l-core")
version = release

extensions = ["sphinx.ext.autodoc"]
exclude_patterns = ["_build", "design.md"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# Everything the site shows is served from the build: no theme assets from a CDN.
html_theme = "alabaster"
html_static_path = []
html_title = "sim2l database services"
