"""Auth: users, tokens and grants (``AuthService``, ``Principal``) and login links."""

from ._login_links import LINK_SECONDS, LoginLinks
from ._service import ANONYMOUS, TOKEN_FILE, AuthService, Principal

__all__ = ["ANONYMOUS", "AuthService", "LINK_SECONDS", "LoginLinks", "Principal", "TOKEN_FILE"]
