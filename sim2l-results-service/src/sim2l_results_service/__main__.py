"""``python -m sim2l_results_service``."""

import sys

from sim2l_results_service.cli import main

sys.exit(main())
