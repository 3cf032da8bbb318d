"""The one kind of refusal every use case raises: a domain error with a message for people.

The API turns it into HTTP 409 in one place (``admin24.api.errors.exception_handler``); pages
show ``message`` to the user. Subclasses add what the client needs to act on it: where the card
may go instead (``allowed``), what is missing (``missing``).
"""


class DomainError(Exception):
    status_code = 409

    def __init__(self, message, *, allowed=None, missing=None):
        super().__init__(str(message))
        self.message = str(message)
        self.allowed = None if allowed is None else list(allowed)
        self.missing = None if missing is None else list(missing)

    def as_data(self) -> dict:
        """The API body: ``detail`` and, where they apply, ``allowed_moves`` and ``missing``."""
        data = {"detail": self.message}
        if self.allowed is not None:
            data["allowed_moves"] = self.allowed
        if self.missing is not None:
            data["missing"] = self.missing
        return data


class MoveRefused(DomainError):
    """A move the pipeline does not allow now, with where the card could go instead."""

    def __init__(self, message, *, allowed=()):
        super().__init__(message, allowed=allowed)
