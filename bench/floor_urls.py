"""The site's URLs and two more views, for `./bench/run floor`: the cheapest view plus the
one Redis round trip that a request for an SMS code cannot do without, and the SMS code's
request with the least Python a hand-written view could get away with."""

from urllib.parse import parse_qsl

from django.http import HttpRequest, HttpResponse
from django.urls import path

from core.client_ip import client_ip
from core.redis_scripts import run_script
from meiduo_mall.urls import handler400, handler500  # noqa: F401 (the site's own)
from meiduo_mall.urls import urlpatterns as site_urlpatterns
from verifications.services import SmsCodeIssue, issue_sms_code, new_sms_code
from verifications.sms import outbox_entry, wake_sender

OK = b'{"code": 0, "message": "ok"}'
REFUSED = b'{"code": 4001, "message": "refused"}'


def round_trip(request: HttpRequest) -> HttpResponse:
    """/healthz's answer after the least an SMS code's request does in Redis: one script,
    through the same run_script, that does nothing."""
    run_script("return 1", keys=[], args=[])
    return HttpResponse("ok", content_type="text/plain")


def sms_lean(request: HttpRequest, mobile: str) -> HttpResponse:
    """What /sms_codes/ does in Redis (the same script, keys and outbox entry) without its
    form, checks, metrics, translation or JSON encoding: not a view to serve shoppers."""
    query = dict(parse_qsl(request.META["QUERY_STRING"]))
    code = new_sms_code()
    outcome = issue_sms_code(
        mobile,
        query["image_code_id"],
        query["image_code"],
        code,
        client_ip(request),
        entry=outbox_entry(mobile, code, "register"),
    )
    if outcome.issue is not SmsCodeIssue.ISSUED:
        return HttpResponse(REFUSED, status=400, content_type="application/json")
    if outcome.wake:
        wake_sender(mobile, outcome.stream_id)
    return HttpResponse(OK, content_type="application/json")


# First, as /healthz is among the first: resolving them costs no more than resolving that.
urlpatterns = [
    path("bench/round-trip", round_trip),
    path("bench/sms_lean/<str:mobile>/", sms_lean),
    *site_urlpatterns,
]
