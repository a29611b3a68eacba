"""``python -m sim2l_cache_service``: the same as the ``sim2l-cache-service`` command."""

import sys

from sim2l_cache_service.cli import main

sys.exit(main())
