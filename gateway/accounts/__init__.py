"""Accounts of the gateway: users with a role in a cooperative, their passwords and sessions, and who may do what.

Kept in one SQLite file in the gateway's data dir (``accounts.sqlite3``), shared by the running gateway
and ``greenhouse users``; nothing is cached, so a user added or disabled takes effect at the next request.
"""
