from deliveries.models import SmsRecord

IMAGE_CODE_EXPIRES = 300  # seconds an image captcha answer lives in Redis
IMAGE_CODE_LENGTH = 4
# No 0/O/Q, 1/I/L: a shopper should not have to guess which one is drawn.
IMAGE_CODE_ALPHABET = "23456789ABCDEFGHJKMNPRSTUVWXYZ"

SMS_CODE_LENGTH = 6

# What a code is for: one code works only for the purpose it was issued for. The
# choices live on SmsRecord (each SMS is recorded with its purpose): one list.
SmsPurpose = SmsRecord.Purpose


def image_code_key(uuid: str) -> str:
    return f"img_{uuid}"


def sms_code_key(mobile: str, purpose: str = SmsPurpose.REGISTER) -> str:
    # Registration keeps the notes' key; the other purposes are kept apart by name.
    if purpose == SmsPurpose.REGISTER:
        return f"sms_{mobile}"
    return f"sms_{purpose}_{mobile}"


def send_flag_key(mobile: str) -> str:
    return f"send_flag_{mobile}"
