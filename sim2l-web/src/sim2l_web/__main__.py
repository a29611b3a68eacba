"""``python -m sim2l_web serve``."""

import sys

from sim2l_web.cli import main

sys.exit(main())
