"""Personal data as logs and the admin may show it."""


def mask_mobile(mobile: str) -> str:
    """138****5678: enough to correlate log lines, not enough to identify a person."""
    if len(mobile) < 7:
        return "****"
    return f"{mobile[:3]}****{mobile[-4:]}"
