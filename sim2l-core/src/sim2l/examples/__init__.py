"""Example simulations shipped with sim2l: ``sim2l.load("thermal_sim")`` works out of the box.

Importing this package declares them. They are small, fast and deterministic,
so the demo, the documentation and the tests can run them anywhere.
"""

from sim2l.examples.thermal import thermal_sim

__all__ = ["thermal_sim"]
