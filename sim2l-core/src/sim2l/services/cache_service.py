"""``python -m sim2l.services.cache_service --backend sqlite``: run the sim2l cache service.

Accepts the flags of ``sim2l-cache-service serve`` (``--backend sqlite|postgresql
--db-url URL --port N --host --workers``), or ``migrate`` and its flags.
"""

import sys

from sim2l.services import launch


def main(argv=None) -> int:
    """Run the cache service's command line."""
    return launch("cache", argv)


if __name__ == "__main__":
    sys.exit(main())
