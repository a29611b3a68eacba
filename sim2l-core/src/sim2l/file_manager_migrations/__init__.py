"""Migrations of the FileManager's folder-tree store.

Module names carry ``file_manager`` because ``sim2l_sessions.migrations``
records applied migrations by module name in one ``schema_migrations`` table,
which a database shared with another sim2l store would also hold.
"""
