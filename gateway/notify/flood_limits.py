"""How much a cooperative's alerts may send, so that a storm reaches people as a few messages rather than a
flood: how long a warning waits to be told together with others, each person's SMS for an hour, and the modem's
SMS a minute. A critical alert never waits for a group and is never dropped; these limits say how it is merged."""

from __future__ import annotations

from pydantic import Field

from contract.bounds import Strict


class FloodLimits(Strict):
    # A warning or information waits this long for others to the same person on the same channel, to go as one
    # message; a critical alert goes in the pass it is due, taking along whatever waits for that person.
    group_s: float = Field(default=60, ge=0, le=600)
    # Past this many SMS in the last hour, a person is sent critical alerts only (merged, one SMS a pass): what
    # else they would have been told by SMS is in the app, and goes on the other channels.
    sms_per_person_per_hour: int = Field(default=10, ge=1, le=100)
    # What the modem is given a minute (a SIM that sends faster is flagged by the network); the rest waits for a
    # later pass, critical first.
    sms_per_minute: int = Field(default=6, ge=1, le=60)
