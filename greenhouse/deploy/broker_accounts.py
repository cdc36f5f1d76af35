"""Adding an account to the broker: its password-file entry and its ACL section, together."""

from __future__ import annotations

from greenhouse.deploy import mosquitto_passwd
from greenhouse.deploy.layout import StackLayout


class AccountExists(Exception):
    def __init__(self, user: str) -> None:
        super().__init__(user)
        self.user = user


class NotInitialised(Exception):
    def __init__(self, missing: str) -> None:
        super().__init__(missing)
        self.missing = missing


def add_account(layout: StackLayout, user: str, password: str, acl_section: str) -> None:
    for path in (layout.passwd, layout.acl):
        if not path.is_file():
            raise NotInitialised(str(path))
    if user in mosquitto_passwd.users(layout.passwd):
        raise AccountExists(user)
    # The ACL first: an entry in the password file without its section could sign in and do nothing, not more.
    with layout.acl.open("a", encoding="utf-8") as acl:
        acl.write("\n" + acl_section)
    with layout.passwd.open("a", encoding="utf-8") as passwd:
        passwd.write(mosquitto_passwd.hash_entry(user, password) + "\n")
