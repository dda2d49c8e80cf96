"""A fake Yuntongxun (容联云通讯) template-SMS server for tests and local demos.

It speaks the vendor's REST protocol on 127.0.0.1 and checks a request the way
the vendor documents it. It deliberately does NOT import our client: it works
the signature out from the protocol on its own, so a client that signs wrongly
fails here.

Replies use the vendor's statusCodes. Codes used, from the vendor's error list:

    000000  success
    111101  Authorization header missing
    111102  Authorization header is not valid base64
    111103  decoded Authorization is not "sid:timestamp"
    111104  decoded Authorization has an empty account sid
    111105  decoded Authorization has an empty timestamp
    111106  timestamp expired (here: more than 5 minutes away from Beijing now)
    111107  account sid in Authorization differs from the one in the URL
    111108  sig query parameter missing
    111109  sig check failed
    111113  timestamp not in yyyyMMddHHmmss format
    111141  main account does not exist (unknown sid in the URL)
    111169  appId empty
    111181  application does not exist (unknown appId)
    112306  "to" empty
    112307  templateId empty
    112308  datas empty
    160030  request body empty
    160031  parameter parsing failed (bad JSON, not an object)
    160042  mobile number format wrong
    160052  template variables malformed (datas not a list of strings)
    160057  templateId must be numeric

Plausible codes where the vendor documents none: a wrong Content-Type or an
Accept that rules out JSON also get 160031 (the vendor would not parse the body
as JSON either). A path that is not the TemplateSMS endpoint gets HTTP 404.

Standalone, for an operator demo (prints each accepted SMS):

    python -m tests.fake_yuntongxun --port 8883 --sid SID --token TOKEN --app-id APPID
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import re
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_CLOCK_SKEW = timedelta(minutes=5)
_PATH = re.compile(r"^/2013-12-26/Accounts/(?P<sid>[^/]+)/SMS/TemplateSMS$")
_TIMESTAMP = re.compile(r"^\d{14}$")
_MOBILE = re.compile(r"^1\d{10}$")


class _Reject(Exception):
    """A vendor-style refusal: HTTP status, statusCode, statusMsg."""

    def __init__(self, status_code: str, status_msg: str, http_status: int = 200) -> None:
        super().__init__(status_code, status_msg)
        self.status_code = status_code
        self.status_msg = status_msg
        self.http_status = http_status


class FakeYuntongxun:
    """In-process fake of the vendor. Use as a context manager or start()/stop()."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        app_id: str,
        host: str = "127.0.0.1",
        port: int = 0,
        on_message: Callable[[dict], None] | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.app_id = app_id
        self._host = host
        self._port = port
        self._on_message = on_message
        self._cond = threading.Condition()
        self._messages: list[dict] = []
        self._forced: deque[tuple[int, str | None, str]] = deque()
        self._delay = 0.0
        self._fail_first = 0
        self._attempts: dict[tuple[str, tuple[str, ...]], int] = {}
        self._dropping = False
        self._connections = 0
        self._socket: socket.socket | None = None
        self._transports: set[asyncio.Transport] = set()  # open connections, closed on stop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> FakeYuntongxun:
        # Bound here, so that port and base_url are known as soon as start() returns.
        self._socket = socket.create_server((self._host, self._port))
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="fake-yuntongxun", daemon=True
        )
        self._thread.start()
        ready.wait(5)
        return self

    def _serve(self, ready: threading.Event) -> None:
        # One event loop for every connection: a thread per connection and http.server's
        # header parsing cost more CPU a request than the client under test does.
        loop = self._loop
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(
            loop.create_server(lambda: _Protocol(self), sock=self._socket)
        )
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for transport in list(self._transports):
                transport.abort()
            loop.run_until_complete(server.wait_closed())
            loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._loop = None
        self._thread = None
        self._socket = None

    def __enter__(self) -> FakeYuntongxun:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("FakeYuntongxun is not started")
        return self._socket.getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    # --- what tests look at ----------------------------------------------------------

    @property
    def messages(self) -> list[dict]:
        """Accepted messages so far (a copy): {to, datas, templateId, appId, smsMessageSid}."""
        with self._cond:
            return list(self._messages)

    @property
    def connections(self) -> int:
        """TCP connections accepted so far: a client that keeps them alive opens few."""
        with self._cond:
            return self._connections

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        """Block until at least `count` messages were accepted; TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._messages) >= count, timeout=timeout):
                raise TimeoutError(
                    f"expected {count} SMS within {timeout}s, got {len(self._messages)}"
                )
            return list(self._messages)

    # --- knobs -----------------------------------------------------------------------

    def force_status(self, status_code: str, status_msg: str = "forced by test") -> None:
        """The next valid request gets this statusCode (HTTP 200) and is not recorded."""
        with self._cond:
            self._forced.append((200, status_code, status_msg))

    def force_http_error(self, http_status: int = 500, body: str = "Internal Server Error") -> None:
        """The next request, valid or not, gets this bare HTTP error (a broken gateway)."""
        with self._cond:
            self._forced.append((http_status, None, body))

    def set_delay(self, seconds: float) -> None:
        """Every reply waits this long (0 turns it off); the message is recorded first,
        as with the real vendor, where a reply lost to a timeout may still be an SMS sent."""
        with self._cond:
            self._delay = seconds

    def fail_first(self, attempts: int) -> None:
        """Every message (a mobile and its datas) gets HTTP 500 for its first `attempts`
        valid requests, then goes through: a vendor that is flaky for everyone."""
        with self._cond:
            self._fail_first = attempts
            self._attempts.clear()

    def drop_connections(self, dropping: bool = True) -> None:
        """While on, every connection is closed before a reply: the vendor unreachable."""
        with self._cond:
            self._dropping = dropping

    def reset(self) -> None:
        with self._cond:
            self._messages.clear()
            self._forced.clear()
            self._delay = 0.0
            self._fail_first = 0
            self._attempts.clear()
            self._dropping = False
            self._connections = 0

    # --- used by the handler ---------------------------------------------------------

    def _count_connection(self) -> None:
        with self._cond:
            self._connections += 1

    def _is_dropping(self) -> bool:
        with self._cond:
            return self._dropping

    def _fails_this_attempt(self, message: dict) -> bool:
        key = (message["to"], tuple(message["datas"]))
        with self._cond:
            self._attempts[key] = self._attempts.get(key, 0) + 1
            return self._attempts[key] <= self._fail_first

    def _pop_forced(self, http_error: bool) -> tuple[int, str | None, str] | None:
        with self._cond:
            if self._forced and (self._forced[0][1] is None) == http_error:
                return self._forced.popleft()
            return None

    def _record(self, message: dict) -> None:
        with self._cond:
            self._messages.append(message)
            self._cond.notify_all()
        if self._on_message is not None:
            self._on_message(message)

    def _current_delay(self) -> float:
        with self._cond:
            return self._delay

    def check(self, path: str, headers: Any, body: bytes) -> dict:
        """Validate one request; return the accepted message or raise _Reject."""
        url = urlsplit(path)
        match = _PATH.match(url.path)
        if match is None:
            raise _Reject("111100", "unknown resource", http_status=404)
        url_sid = unquote(match["sid"])
        if url_sid != self.account_sid:
            raise _Reject("111141", "main account does not exist")

        timestamp = self._check_authorization(headers.get("Authorization"), url_sid)
        self._check_sig(parse_qs(url.query).get("sig", [""])[0], timestamp)
        return self._check_body(headers, body)

    def _check_authorization(self, value: str | None, url_sid: str) -> str:
        if not value:
            raise _Reject("111101", "Authorization header is empty")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _Reject("111102", "Authorization is not valid base64") from None
        sid, sep, timestamp = decoded.partition(":")
        if not sep:
            raise _Reject("111103", "decoded Authorization is not sid:timestamp")
        if not sid:
            raise _Reject("111104", "decoded Authorization has no account sid")
        if not timestamp:
            raise _Reject("111105", "decoded Authorization has no timestamp")
        if sid != url_sid:
            raise _Reject("111107", "account sid in Authorization differs from the URL")
        if not _TIMESTAMP.match(timestamp):
            raise _Reject("111113", "timestamp format is wrong, expected yyyyMMddHHmmss")
        try:
            # yyyy MM dd HH mm ss by hand: strptime would cost more than the rest of the check.
            fields = [int(timestamp[:4])] + [int(timestamp[i : i + 2]) for i in range(4, 14, 2)]
            sent_at = datetime(*fields, tzinfo=BEIJING)
        except ValueError:
            raise _Reject("111113", "timestamp is not a real date") from None
        if abs(datetime.now(tz=BEIJING) - sent_at) > MAX_CLOCK_SKEW:
            raise _Reject("111106", "timestamp expired")
        return timestamp

    def _check_sig(self, sig: str, timestamp: str) -> None:
        if not sig:
            raise _Reject("111108", "sig is empty")
        # Worked out here from the protocol, never with the client's helper.
        raw = (self.account_sid + self.auth_token + timestamp).encode("utf-8")
        expected = hashlib.md5(raw, usedforsecurity=False).hexdigest().upper()
        if not hmac.compare_digest(sig.encode("utf-8"), expected.encode("ascii")):
            raise _Reject("111109", "sig check failed")

    def _check_body(self, headers: Any, body: bytes) -> dict:
        content_type = (headers.get("Content-Type") or "").replace(" ", "").lower()
        if content_type not in ("application/json", "application/json;charset=utf-8"):
            raise _Reject("160031", "Content-Type must be application/json;charset=utf-8")
        accept = (headers.get("Accept") or "").lower()
        if "application/json" not in accept:
            raise _Reject("160031", "this fake only answers Accept: application/json")
        if not body:
            raise _Reject("160030", "request body is empty")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _Reject("160031", "request body is not JSON") from None
        if not isinstance(data, dict):
            raise _Reject("160031", "request body is not a JSON object")

        app_id = data.get("appId")
        if not app_id:
            raise _Reject("111169", "appId is empty")
        if app_id != self.app_id:
            raise _Reject("111181", "application does not exist")
        to = data.get("to")
        if not to:
            raise _Reject("112306", "to is empty")
        if not isinstance(to, str) or not all(_MOBILE.match(m) for m in to.split(",")):
            raise _Reject("160042", "mobile number format is wrong")
        template_id = data.get("templateId")
        if not template_id:
            raise _Reject("112307", "templateId is empty")
        if not isinstance(template_id, str) or not template_id.isdigit():
            raise _Reject("160057", "templateId must be a numeric string")
        datas = data.get("datas")
        if not datas:
            raise _Reject("112308", "datas is empty")
        if not isinstance(datas, list) or not all(isinstance(d, str) for d in datas):
            raise _Reject("160052", "datas must be a list of strings")
        return {"to": to, "datas": datas, "templateId": template_id, "appId": app_id}

    def answer(self, path: str, headers: _Headers, body: bytes) -> _Answer | None:
        """The reply to one POST: (HTTP status, body, content type); None drops the
        connection unanswered."""
        if self._is_dropping():
            return None
        forced = self._pop_forced(http_error=True)
        if forced is not None:
            return forced[0], forced[2].encode("utf-8"), _TEXT
        try:
            message = self.check(path, headers, body)
        except _Reject as reject:
            return _vendor_reply(reject.http_status, reject.status_code, reject.status_msg)
        forced = self._pop_forced(http_error=False)
        if forced is not None:
            return _vendor_reply(200, forced[1] or "", forced[2])
        if self._fails_this_attempt(message):
            return 500, b"Internal Server Error", _TEXT
        message["smsMessageSid"] = uuid.uuid4().hex
        self._record(message)
        now = datetime.now(tz=BEIJING).strftime("%Y%m%d%H%M%S")
        reply = {
            "statusCode": "000000",
            "templateSMS": {"smsMessageSid": message["smsMessageSid"], "dateCreated": now},
        }
        return 200, json.dumps(reply).encode("utf-8"), _JSON


_Answer = tuple[int, bytes, str]
_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json;charset=utf-8"
_MAX_HEAD = 64 * 1024


def _vendor_reply(http_status: int, status_code: str, status_msg: str) -> _Answer:
    payload = {"statusCode": status_code, "statusMsg": status_msg}
    return http_status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), _JSON


class _Headers(dict):
    """A request's headers by lower-case name; get() takes any case, as http.server's do."""

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


class _Protocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, like the vendor's gateway: requests are read one after
    another from a connection, each answered in one write (TCP_NODELAY is asyncio's
    default), after the fake's delay when one is set."""

    def __init__(self, fake: FakeYuntongxun) -> None:
        self.fake = fake
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False  # a reply is waiting out the delay: read nothing meanwhile

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.fake._transports.add(self.transport)
        self.fake._count_connection()

    def connection_lost(self, exc: Exception | None) -> None:
        self.fake._transports.discard(self.transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._next()

    def _next(self) -> None:
        """Answer every whole request in the buffer, in order."""
        while not self.busy and self.transport and not self.transport.is_closing():
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                if len(self.buffer) > _MAX_HEAD:
                    self._write(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, b"", _TEXT, True)
                return
            lines = self.buffer[:head_end].decode("latin-1").split("\r\n")
            method, _, rest = lines[0].partition(" ")
            path, _, version = rest.partition(" ")
            headers = _Headers()
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            try:
                length = int(headers.get("Content-Length") or 0)
            except ValueError:
                self._write(HTTPStatus.BAD_REQUEST, b"bad Content-Length", _TEXT, True)
                return
            if len(self.buffer) < head_end + 4 + length:
                return  # the rest of the body is still on its way
            body = self.buffer[head_end + 4 : head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length :]
            close = version != "HTTP/1.1" or headers.get("Connection", "").lower() == "close"
            if method != "POST":
                self._write(HTTPStatus.NOT_IMPLEMENTED, b"POST only", _TEXT, close)
                continue
            answer = self.fake.answer(path, headers, body)
            if answer is None:
                self.transport.close()  # the vendor unreachable: no reply at all
                return
            delay = self.fake._current_delay()
            if delay > 0:
                self.busy = True
                asyncio.get_running_loop().call_later(delay, self._late, answer, close)
                return
            self._write(*answer, close)

    def _late(self, answer: _Answer, close: bool) -> None:
        self.busy = False
        self._write(*answer, close)
        self._next()

    def _write(self, status: int, body: bytes, content_type: str, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return  # the client gave up (a timeout test): nothing to answer
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            + ("Connection: close\r\n" if close else "")
            + "\r\n"
        )
        self.transport.write(head.encode("latin-1") + body)
        if close:
            self.transport.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Yuntongxun SMS server (local only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8883)
    parser.add_argument("--sid", required=True, help="account sid the client must use")
    parser.add_argument("--token", required=True, help="auth token the client must sign with")
    parser.add_argument("--app-id", required=True, help="app id the client must send")
    args = parser.parse_args(argv)

    def show(message: dict) -> None:
        print(
            f"SMS to={message['to']} template={message['templateId']} "
            f"datas={json.dumps(message['datas'], ensure_ascii=False)}",
            flush=True,
        )

    fake = FakeYuntongxun(args.sid, args.token, args.app_id, args.host, args.port, show)
    fake.start()
    print(f"Fake Yuntongxun listening on {fake.base_url} (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
