"""Auth: users, tokens and grants (``AuthService``, ``Principal``), login links, and the rule table
of which role each API request needs (``match_rule``), read against a principal's grants by
``allowed``: the API's guard and the console both ask it."""

from ._access import SESSION_COOKIE, allowed, refusal
from ._login_links import LINK_SECONDS, LoginLinks
from ._rules import READS, Rule, match_rule
from ._service import ANONYMOUS, TOKEN_FILE, AuthService, Principal

__all__ = [
    "READS",
    "SESSION_COOKIE",
    "Rule",
    "allowed",
    "match_rule",
    "refusal",
    "ANONYMOUS",
    "AuthService",
    "LINK_SECONDS",
    "LoginLinks",
    "Principal",
    "TOKEN_FILE",
]
