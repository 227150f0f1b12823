"""What can go wrong with users, logins and sessions.

    UsersError
    ├── InvalidEmail
    ├── UserExists
    ├── UnknownUser
    ├── UnknownRole
    ├── UnknownWorkspace
    ├── BadCredentials        (a login with a wrong e-mail or password: which one is never said)
    ├── WrongPassword         (the current password, when changing it)
    ├── PasswordsDiffer
    ├── LoginThrottled        (.retry_after_s: too many failures for an e-mail or a client address)
    ├── LinkInvalid           (an invitation or reset link unknown, used or revoked)
    │   └── LinkExpired       (… or past its life)
    ├── OwnerProtected        (only an owner changes, removes or makes an owner)
    └── LastOwner             (a workspace keeps at least one owner)

`mostrador.security.passwords.WeakPassword` covers a too-short new password.
"""

from __future__ import annotations


class UsersError(ValueError):
    """A user, login or session operation was refused."""


class InvalidEmail(UsersError):
    """That is not an e-mail address."""


class UserExists(UsersError):
    """A user with this e-mail already exists."""


class UnknownUser(UsersError):
    """No user has this e-mail."""


class UnknownRole(UsersError):
    """Roles are owner, admin, agent and viewer."""


class UnknownWorkspace(UsersError):
    """No workspace has this name."""


class BadCredentials(UsersError):
    """E-mail or password is wrong."""


class WrongPassword(UsersError):
    """The current password is wrong."""


class PasswordsDiffer(UsersError):
    """The two new passwords are not the same."""


class LoginThrottled(UsersError):
    """Too many failed attempts; try again later."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class LinkInvalid(UsersError):
    """This link was already used, was revoked or never existed."""


class LinkExpired(LinkInvalid):
    """This link has expired."""


class OwnerProtected(UsersError):
    """Only an owner can change, remove or name an owner."""


class LastOwner(UsersError):
    """The workspace's last owner cannot be demoted or removed."""
