"""The kinds of record a run file holds, one mixin of ``RunDatabase`` each.

Each mixin reads with ``self._execute`` and writes with ``self._write``,
``self._write_many`` or inside ``self.transaction()`` (see ``run_file.RunFile``).
"""
