"""Errors raised when an SMS cannot be handed to the vendor.

Two classes so the Celery task can decide whether a retry makes sense:
SmsTemporaryError (network trouble, vendor overloaded) is worth retrying,
any other SmsSendError (the vendor looked at the request and refused it) is not.
"""


class SmsSendError(Exception):
    """The vendor refused the message; sending it again will not help."""

    def __init__(self, message: str, status_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The vendor's statusCode (e.g. "160038"), None when there was no vendor reply.
        self.status_code = status_code

    def __str__(self) -> str:
        if self.status_code is None:
            return self.message
        return f"{self.message} (statusCode={self.status_code})"


class SmsTemporaryError(SmsSendError):
    """No usable answer from the vendor (network, timeout, HTTP 5xx, garbled reply): retry later."""
