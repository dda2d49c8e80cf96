import pytest
from django.test import RequestFactory

from core import ratelimit
from core.client_ip import client_ip


@pytest.mark.parametrize(
    ("spec", "rules"),
    [
        ("5/1h/mobile", [ratelimit.Rule(5, 3600, "mobile")]),
        (
            "1/60s/mobile,20/1h/ip",
            [ratelimit.Rule(1, 60, "mobile"), ratelimit.Rule(20, 3600, "ip")],
        ),
        ("30/m/ip", [ratelimit.Rule(30, 60, "ip")]),
        ("10/1d/mobile", [ratelimit.Rule(10, 86400, "mobile")]),
        ("", []),
    ],
)
def test_limits_are_read_from_their_settings_string(spec, rules):
    assert list(ratelimit.parse(spec)) == rules


@pytest.mark.parametrize("spec", ["5", "5/1w/ip", "x/1h/ip", "5/1h/IP", "5/1h"])
def test_a_malformed_limit_is_a_clear_error(spec):
    with pytest.raises(ValueError, match="bad rate limit rule"):
        ratelimit.parse(spec)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1秒"),
        (60, "60秒"),
        (119, "119秒"),
        (300, "5分钟"),
        (3600, "1小时"),
        (3601, "2小时"),
        (86400, "24小时"),
    ],
)
def test_waits_read_as_a_shopper_reads_them(seconds, text):
    assert ratelimit.describe_wait(seconds) == text


def test_a_refund_gives_the_place_back(settings):
    settings.RATE_LIMITS = {"probe": "1/1h/ip"}
    first = ratelimit.consume("probe", ip="192.0.2.1")
    assert first.allowed
    assert not ratelimit.consume("probe", ip="192.0.2.1").allowed

    ratelimit.refund("probe", first, ip="192.0.2.1")

    assert ratelimit.consume("probe", ip="192.0.2.1").allowed


def test_no_mobile_or_name_is_kept_in_a_redis_key():
    rules = ratelimit.parse("5/1h/mobile")

    [key] = ratelimit.redis_keys("send_sms", rules, {"mobile": "13912345678"})

    assert "13912345678" not in key


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.1.1.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "10.1.1.1"),  # fewer hops than proxies: don't guess
        (1, "not-an-ip", "10.1.1.1"),
        (1, "", "10.1.1.1"),
    ],
)
def test_the_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected
