import re

USERNAME_RE = re.compile(r"^[a-zA-Z0-9_-]{5,20}$")
# The notes' rule: 8 to 20 letters and digits.
PASSWORD_RE = re.compile(r"^[0-9A-Za-z]{8,20}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")

USERNAME_COOKIE = "username"
USERNAME_COOKIE_AGE = 15 * 24 * 3600
