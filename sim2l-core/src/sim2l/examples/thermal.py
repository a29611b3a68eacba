"""``thermal_sim``: thermal stress in a bar held fixed at both ends while it is heated.

sigma = E * alpha * (T - T_ref) for a fully constrained bar, with Young's
modulus E and the expansion coefficient alpha of the material. It also writes
the stress along the bar to ``profile.csv`` (which the runner keeps as an
artifact) and logs what it computed.
"""

import logging

from sim2l.runner.parameters import Input
from sim2l.runner.parameters import Output
from sim2l.runner.simulation import simulation

logger = logging.getLogger(__name__)

# Young's modulus (Pa) and linear expansion coefficient (1/K).
MATERIALS = {
    "steel": (200e9, 12e-6),
    "aluminium": (69e9, 23e-6),
    "copper": (117e9, 17e-6),
}


@simulation(
    name="thermal_sim",
    version="1.0.0",
    description="Thermal stress analysis of a constrained bar",
    tags=["thermal", "physics", "example"],
    inputs={
        "temperature": Input(
            "number",
            units="kelvin",
            default=300.0,
            min=0.0,
            max=5000.0,
            description="temperature of the bar",
        ),
        "reference_temperature": Input(
            "number",
            units="kelvin",
            default=293.15,
            min=0.0,
            description="temperature at which the bar is unstressed",
        ),
        "material": Input(
            "string", default="steel", options=sorted(MATERIALS), description="material of the bar"
        ),
        "points": Input(
            "integer",
            default=11,
            min=2,
            max=10_000,
            description="points along the bar in profile.csv",
        ),
    },
    outputs={
        "max_stress": Output("number", units="pascal", description="largest stress magnitude"),
        "thermal_strain": Output("number", units="1", description="free thermal strain"),
    },
)
def thermal_sim(temperature, reference_temperature, material, points):
    """Thermal stress in a bar fixed at both ends."""
    modulus, expansion = MATERIALS[material]
    strain = expansion * (temperature - reference_temperature)
    stress = modulus * strain
    # A fixed bar carries the same stress everywhere; the profile shows it
    # as a file a real solver would write.
    with open("profile.csv", "w", encoding="utf-8") as profile:
        profile.write("position_m,stress_pa\n")
        for index in range(points):
            profile.write(f"{index / (points - 1):.6f},{stress:.6e}\n")
    logger.info("%s bar at %.2f K: stress %.4e Pa", material, temperature, stress)
    return {"max_stress": abs(stress), "thermal_strain": strain}
