"""``python -m sim2l.cli``: the ``sim2l`` command line."""

import sys

from sim2l.cli import main

sys.exit(main())
