"""Agronomic metrics the gateway derives per greenhouse: VPD, dew point, DLI, degree days, ETo.

Each formula is a small pure function citing its published source; ``derive`` puts them together.
"""
