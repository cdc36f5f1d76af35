"""Deterministic pseudo-random numbers addressed by (seed, stream, index): pure functions of their arguments,
so any simulated instant can be computed without replaying the ones before it."""

from __future__ import annotations

import math
import zlib

_MASK64 = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    # SplitMix64 finaliser (Steele, Lea & Flood 2014): a cheap, well-mixed 64-bit hash.
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def stream_id(name: str) -> int:
    return zlib.crc32(name.encode())


def unit(seed: int, stream: int, index: int) -> float:
    """Uniform in [0, 1)."""
    h = _splitmix64((seed & _MASK64) ^ _splitmix64((stream << 32) ^ (index & _MASK64)))
    return (h >> 11) / float(1 << 53)


def smooth(seed: int, stream: int, t_s: float, period_s: float) -> float:
    """Value noise in [0, 1): uniform knots every ``period_s``, smoothstep-interpolated between them."""
    k = math.floor(t_s / period_s)
    f = t_s / period_s - k
    f = f * f * (3 - 2 * f)
    return unit(seed, stream, k) * (1 - f) + unit(seed, stream, k + 1) * f
