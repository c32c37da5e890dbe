"""The project's error hierarchy.

Services raise these; views, the admin and the API translate them into form errors or
``application/problem+json`` responses. Every message is written for the person who reads it.
"""


class PolkuError(Exception):
    """Base class for domain errors. ``code`` is stable and machine-readable."""

    code = "polku_error"
    status = 400

    def __init__(self, message: str, *, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class TransitionNotAllowed(PolkuError):
    """A transition was asked for that the case's state or guards do not allow."""

    code = "transition_not_allowed"
    status = 409

    def __init__(self, message: str, *, transition: str = "", reasons: list[str] | None = None):
        super().__init__(message, details={"transition": transition, "reasons": reasons or []})
        self.transition = transition
        self.reasons = reasons or [message]


class StaleVersion(PolkuError):
    """The writer saw an older version than the one stored: someone else changed it first."""

    code = "stale_version"
    status = 412

    def __init__(self, *, expected: int, current: int, label: str = "case") -> None:
        super().__init__(
            f"Someone else changed this {label} after you opened it "
            f"(you saw version {expected}, it is now version {current}). "
            "Reload it to see their changes, then try again.",
            details={"expected_version": expected, "current_version": current},
        )
        self.expected = expected
        self.current = current


class NotPermitted(PolkuError):
    """The actor may not do this to this object."""

    code = "not_permitted"
    status = 403


class ScopeDenied(NotPermitted):
    """An API client's token lacks the scope this operation needs."""

    code = "scope_denied"
