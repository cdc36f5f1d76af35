"""The technician's desk: tools that read and try the site and its rules without driving a greenhouse.

Rule files: ``check`` (every problem at once), ``diff``, ``simulate`` (a week of weather through the edge's control
cycle and the simulator's physics), ``backtest`` (recorded readings through a candidate rule set), ``why`` (what
decided an actuation), ``deploy`` (publish a rule set and wait for the edge's report). Field devices:
``devices`` (scan and commission an RS485 bus), ``ha_discovery`` (Home Assistant). Above ``edge`` and
``firmware_sim``, whose code they run; below ``gateway`` and ``greenhouse``, which call them.
"""
