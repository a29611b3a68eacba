"""``python -m sim2l.services.catalog_service --backend sqlite``: run the sim2l catalog service.

Accepts the flags of ``sim2l-catalog-service serve`` (``--backend sqlite|postgresql
--db-url URL --port N --host --workers``), or ``migrate`` and its flags.
"""

import sys

from sim2l.services import launch


def main(argv=None) -> int:
    """Run the catalog service's command line."""
    return launch("catalog", argv)


if __name__ == "__main__":
    sys.exit(main())
