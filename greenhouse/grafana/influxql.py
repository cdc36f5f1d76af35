"""InfluxQL as the dashboards send it: Grafana's template variables in, one filter per tag (docs/storage.md)."""

from __future__ import annotations

from contract.kinds import SensorKind
from gateway.storage import points

COOPERATIVE = "cooperative"
GREENHOUSE = "greenhouse"
ZONE = "zone"
TIME = "$timeFilter"
INTERVAL = "$__interval"


def _tag(tag: str, variable: str) -> str:
    # Multi-value and "All" variables arrive as a regex alternation, (a|b), for InfluxDB data sources.
    return f'"{tag}" =~ /^${variable}$/'


SITE_FILTER = _tag("site", COOPERATIVE)
GREENHOUSE_FILTER = _tag("greenhouse", GREENHOUSE)
ZONE_FILTER = _tag("zone", ZONE)
HOUSES = f"{SITE_FILTER} AND {GREENHOUSE_FILTER}"


def where(*conditions: str) -> str:
    return " AND ".join([*conditions, HOUSES, TIME])


def equals(key: str, value: str, op: str = "=") -> str:
    """A tag or string field against a literal (ids and enum values: no quote inside to escape)."""
    return f"\"{key}\" {op} '{value}'"


def kind(sensor_kind: SensorKind) -> str:
    return equals("kind", sensor_kind.value)


def event_kind(name: str) -> str:
    return equals("kind", name)


def select(fn: str, measurement: str, group: str, *conditions: str) -> str:
    """``fn`` over one measurement of the chosen houses and time range; ``group`` as ``per`` or ``by`` give it."""
    return f'SELECT {fn} FROM "{measurement}" WHERE {where(*conditions)} GROUP BY {group}'


def readings(fn: str, sensor_kind: SensorKind, group: str, *extra: str) -> str:
    """``fn`` of the good readings of one kind (``value`` is set for good readings only)."""
    return select(fn, points.READING, group, kind(sensor_kind), *extra)


def derived(fn: str, group: str) -> str:
    return select(fn, points.DERIVED, group)


def per(interval: str, *tags: str, fill: str = "none") -> str:
    """``GROUP BY time(interval), "tag"…, fill(…)``."""
    return ", ".join([f"time({interval})", *(f'"{t}"' for t in tags)]) + f" fill({fill})"


def by(*tags: str) -> str:
    return ", ".join(f'"{t}"' for t in tags)


def tag_values(measurement: str, key: str, *conditions: str) -> str:
    """A template variable's values; ``conditions`` narrow it by the variables before it."""
    query = f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "{key}"'
    return query + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
