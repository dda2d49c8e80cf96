"""Personal data as logs and the admin may show it."""

import ipaddress
import re


def mask_mobile(mobile: str) -> str:
    """138****5678: enough to correlate log lines, not enough to identify a person."""
    if len(mobile) < 7:
        return "****"
    return f"{mobile[:3]}****{mobile[-4:]}"


# A mainland mobile standing alone (not inside a longer run of letters or digits, such as
# a task id): in a path (/sms_codes/13912345678/), a query or a message.
MOBILE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])")


def mask_mobiles(text: str) -> str:
    """Every mobile in `text` masked as mask_mobile does."""
    return MOBILE_IN_TEXT.sub(r"\1****\2", text)


def mask_ip(address: str) -> str:
    """203.0.113.0, 2001:db8:85a3::: the network, not the household (IPv4 /24, IPv6 /48)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)
