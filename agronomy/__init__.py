"""Agronomic formulas, pure and cited: vapour pressure and VPD, humidity (dew point, wet bulb, absolute), light
(PAR photons, DLI), degree days and reference evapotranspiration (FAO-56).

The lowest layer above ``contract``: the rules (VPD, frost), the simulator's report, the gateway's derived
metrics (``gateway.ingest.derive``) and the live picture all compute with these functions.
"""
