"""``python -m sim2l_catalog_service``: the same as ``sim2l-catalog-service``."""

import sys

from sim2l_catalog_service.cli import main

sys.exit(main())
