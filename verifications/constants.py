IMAGE_CODE_EXPIRES = 300  # seconds an image captcha answer lives in Redis
IMAGE_CODE_LENGTH = 4
# No 0/O/Q, 1/I/L: a shopper should not have to guess which one is drawn.
IMAGE_CODE_ALPHABET = "23456789ABCDEFGHJKMNPRSTUVWXYZ"

SMS_CODE_LENGTH = 6


def image_code_key(uuid: str) -> str:
    return f"img_{uuid}"


def sms_code_key(mobile: str) -> str:
    return f"sms_{mobile}"


def send_flag_key(mobile: str) -> str:
    return f"send_flag_{mobile}"
