"""``python -m sim2l.services.web --port 8000``: run the sim2l dashboard (sim2l-web).

Accepts the flags of ``sim2l-web serve`` (``--host --port --workers
--cache-url --catalog-url --results-url``; the URLs default to the
``SIM2L_*_SERVICE_URL`` settings).
"""

import sys

from sim2l.services import launch


def main(argv=None) -> int:
    """Run the dashboard's command line."""
    return launch("web", argv)


if __name__ == "__main__":
    sys.exit(main())
