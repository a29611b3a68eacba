"""The canonical input hash: the identity of "this simulation, this version, these inputs".

The hash is sha256 over canonical JSON of ``[name, version, inputs]``:
keys sorted, no whitespace, and every number written the same way whatever
its Python type, so ``1`` and ``1.0`` (and ``numpy.float64(1)``) hash alike.
Only validated inputs (defaults filled in) are hashed, so giving a default
explicitly or leaving it out is the same run.
"""

import hashlib
import json
import math

HASH_VERSION = 1  # bump when the canonical form changes: old cache keys then miss


def canonical_value(value):
    """``value`` in the form the hash sees: plain JSON types, numbers normalised."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "tolist") and not isinstance(value, (int, float)):
        return canonical_value(value.tolist())
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        return canonical_value(value.item())
    if isinstance(value, int):
        # Integers that a float represents exactly are written as that float would be.
        return value if abs(value) <= 2**53 else float(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return {"$float": repr(value)}
        if value.is_integer() and abs(value) <= 2**53:
            return int(value)
        return value
    if isinstance(value, dict):
        return {str(key): canonical_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical_value(item) for item in value]
    raise TypeError(f"cannot hash an input of type {type(value).__name__}")


def canonical_json(name: str, version: str, inputs: dict) -> str:
    """The canonical JSON text the input hash is computed over."""
    document = [HASH_VERSION, name, version, canonical_value(inputs)]
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def input_hash(name: str, version: str, inputs: dict) -> str:
    """sha256 (hex) of the canonical JSON of ``name``, ``version`` and ``inputs``."""
    return hashlib.sha256(canonical_json(name, version, inputs).encode("utf-8")).hexdigest()


def cache_key(name: str, version: str, hash_: str) -> str:
    """The cache key of a run: ``{name}/{version}/{input_hash}``."""
    return f"{name}/{version}/{hash_}"
