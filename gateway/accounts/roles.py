"""Roles, and the one table of which role may do what: every endpoint names the action it needs."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    FARMER = "farmer"
    TECHNICIAN = "technician"
    AGRONOMIST = "agronomist"
    ADMIN = "admin"


class Action(StrEnum):
    READ = "read"  # status, history, CSV, audit of the greenhouses one may see
    READ_INGEST = "read_ingest"  # what the gateway received and rejected
    COMMAND = "command"  # manual control of actuators from the phone
    ACK_ALERTS = "ack_alerts"  # acknowledging an alert: "I have seen it, I am on it"
    SETUP = "setup"  # the site's set-up: greenhouses, zones, sensors, actuators, safety limits
    EDIT_RULES = "edit_rules"  # rule checking, simulation, backtest and deployment
    MANAGE_USERS = "manage_users"  # list, create and disable users of one's own cooperative
    UNLOCK_SIGN_INS = "unlock_sign_ins"  # see who failed signing in, and let a name or an address in again
    EDIT_ROSTER = "edit_roster"  # who is told of alerts (the duty roster) and how alerts escalate
    RECORD_DIARY = "record_diary"  # write in the record book: a spray, a harvest, a drafted day confirmed
    CORRECT_DIARY = "correct_diary"  # correct an entry of the record book (the original stays)
    EXPORT_DIARY = "export_diary"  # the VietGAP dossier and the EPCIS document
    PUBLISH_LOTS = "publish_lots"  # show a harvest lot on its public page


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.READ: frozenset(Role),
    Action.READ_INGEST: frozenset({Role.TECHNICIAN, Role.ADMIN}),
    Action.COMMAND: frozenset({Role.FARMER, Role.TECHNICIAN, Role.ADMIN}),
    Action.ACK_ALERTS: frozenset({Role.FARMER, Role.TECHNICIAN, Role.ADMIN}),
    Action.SETUP: frozenset({Role.TECHNICIAN, Role.ADMIN}),
    Action.EDIT_RULES: frozenset({Role.TECHNICIAN, Role.ADMIN}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.UNLOCK_SIGN_INS: frozenset({Role.ADMIN}),
    Action.EDIT_ROSTER: frozenset({Role.TECHNICIAN, Role.ADMIN}),
    Action.RECORD_DIARY: frozenset({Role.FARMER, Role.TECHNICIAN, Role.ADMIN}),
    Action.CORRECT_DIARY: frozenset({Role.TECHNICIAN, Role.ADMIN}),
    Action.EXPORT_DIARY: frozenset({Role.AGRONOMIST, Role.TECHNICIAN, Role.ADMIN}),
    Action.PUBLISH_LOTS: frozenset({Role.TECHNICIAN, Role.ADMIN}),
}


def may(role: Role, action: Action) -> bool:
    return role in ALLOWED[action]
