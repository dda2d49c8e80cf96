import re

USERNAME_RE = re.compile(r"^[a-zA-Z0-9_-]{5,20}$")
# The notes' 8-20 letters and digits, and longer passphrases of any printable
# character (OWASP ASVS 5.0, 6.2.x); Django's validators refuse the weak ones.
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 64
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")

USERNAME_COOKIE = "username"
USERNAME_COOKIE_AGE = 15 * 24 * 3600
