"""The image HEALTHCHECK: exit 0 when GET /health on this container answers 200.

Kubernetes ignores HEALTHCHECK and uses the manifests' probes; this is for
docker and compose. It imports nothing from the service, so it stays cheap.
"""

import os
import sys
import urllib.request

PORT = os.environ.get("PORT", "8000")

try:
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:  # any failure is "unhealthy", which is all docker needs to know
    sys.exit(1)
