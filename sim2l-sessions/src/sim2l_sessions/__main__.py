"""``python -m sim2l_sessions``: the same as the ``sim2l-sessions`` command."""

import sys

from sim2l_sessions.cli import main

sys.exit(main())
