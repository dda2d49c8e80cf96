"""The SMS outbox: a Redis stream in the codes' Redis, which the script that issues a code
adds its SMS to, in the same step; the worker's `deliver_sms_outbox` task takes it from
there in batches.

Why a stream and not one Celery message per SMS: on kombu's Redis transport a message
costs about 1 ms of worker CPU before any work (a BRPOP, and a MULTI/EXEC each to hold
and to acknowledge it: `./bench/run worker`), more than the send itself. A consumer
group gives the same at-least-once delivery a batch at a time: XREADGROUP hands out up
to BATCH entries in one round trip and keeps them pending until XACK; an entry whose
consumer died stays pending, and XAUTOCLAIM hands it out again once it has been idle
for RECLAIM_IDLE.

The broker only wakes the worker up: the script also takes a "wake" flag (SET NX), and
only the request that took it publishes `deliver_sms_outbox`. The task holds the flag
while it finds entries and drops it, in the same step, when it finds none, so an SMS
added after that takes the flag again and publishes a new wake-up: none is left behind.

An entry holds the code in clear, as the Celery message did, until it is delivered and
deleted (XACK + XDEL).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from redis import Redis
from redis.exceptions import ResponseError

from core.redis_scripts import run_script, verify_code_redis

GROUP = "senders"
FIELD = "e"  # an entry's one field: its packed JSON
BATCH = 64
# An entry taken but not acknowledged for this long belongs to a consumer that died:
# longer than a batch whose every send times out (tasks.batch_lease: 45 s at BATCH).
RECLAIM_IDLE = 60
# The wake flag outlives a worker that died holding it by this long at most; a live
# consumer renews it each time it takes entries.
WAKE_TTL = 60


def stream_key() -> str:
    return settings.SMS_OUTBOX_KEY


def wake_key() -> str:
    return f"{settings.SMS_OUTBOX_KEY}:wake"


@dataclass(frozen=True)
class Entry:
    """One SMS to send: the Celery task id it goes by (and its SmsRecord's), the mobile,
    the code, its purpose, when the code dies (epoch seconds), the request that issued it."""

    task_id: str
    mobile: str
    code: str
    purpose: str
    expires: float
    request_id: str = ""
    stream_id: str = ""  # the entry's id in the stream, once added

    def packed(self) -> str:
        """The entry as the stream keeps it: one field, a JSON array."""
        fields = [self.task_id, self.mobile, self.code, self.purpose, self.expires]
        return json.dumps([*fields, self.request_id], separators=(",", ":"))

    @classmethod
    def unpacked(cls, stream_id: str, packed: str) -> Entry:
        task_id, mobile, code, purpose, expires, request_id = json.loads(packed)
        return cls(task_id, mobile, code, purpose, expires, request_id, stream_id)

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, tz=UTC)


def new_entry(task_id: str, mobile: str, code: str, purpose: str, request_id: str = "") -> Entry:
    return Entry(
        task_id, mobile, code, purpose, time.time() + settings.SMS_CODE_EXPIRES, request_id
    )


# For the issuing script to paste in (verifications.services): KEYS[k] the stream,
# KEYS[k + 1] the wake flag, `packed` the entry, `wake_ttl` in ms. Sets `added` (the
# entry's id) and `wake` (1: this caller must publish the wake-up).
ADD_LUA = f"""
local function outbox_add(keys, k, packed, wake_ttl)
    local added = redis.call('XADD', keys[k], '*', '{FIELD}', packed)
    local wake = 0
    if redis.call('SET', keys[k + 1], '1', 'NX', 'PX', wake_ttl) then wake = 1 end
    return added, wake
end
"""

# Take up to ARGV[3] new entries for consumer ARGV[2]; renew the wake flag while there
# are some, drop it in the same step when there are none.
_TAKE_LUA = """
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
local got = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3],
                       'STREAMS', KEYS[1], '>')
if not got then
    redis.call('DEL', KEYS[2])
    return {}
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
return got[1][2]
"""


def _entries(rows: list) -> list[Entry]:
    # A row whose entry was deleted meanwhile comes back without fields: nothing to send.
    return [Entry.unpacked(_text(sid), _packed(fields)) for sid, fields in rows if fields]


def _packed(fields: list | dict) -> str:
    # From the script: [name, value]; from redis-py's XAUTOCLAIM and XRANGE: {name: value}.
    value = fields[1] if isinstance(fields, list) else next(iter(fields.values()))
    return _text(value)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Outbox:
    """The consumer's side, for one consumer name (a worker process)."""

    def __init__(self, consumer: str, client: Redis | None = None) -> None:
        self.consumer = consumer
        self.client = client or verify_code_redis()
        self.key = stream_key()

    def take(self, count: int = BATCH) -> list[Entry]:
        """Up to `count` entries nobody has had yet; none also releases the wake flag."""
        rows = run_script(
            _TAKE_LUA,
            keys=[self.key, wake_key()],
            args=[GROUP, self.consumer, count, WAKE_TTL * 1000],
            client=self.client,
        )
        return _entries(rows)

    def reclaim(self, count: int = BATCH) -> list[Entry]:
        """Entries taken at least RECLAIM_IDLE seconds ago and never acknowledged."""
        try:
            _, rows, *_ = self.client.xautoclaim(
                self.key, GROUP, self.consumer, RECLAIM_IDLE * 1000, "0-0", count=count
            )
        except ResponseError as exc:  # no group yet: nothing was ever taken
            if "NOGROUP" in str(exc):
                return []
            raise
        return _entries(rows)

    def pending(self) -> int:
        """How many entries are taken and not yet acknowledged, by anyone."""
        try:
            return int(self.client.xpending(self.key, GROUP)["pending"])
        except ResponseError as exc:
            if "NOGROUP" in str(exc):
                return 0
            raise

    def done(self, entries: list[Entry]) -> None:
        """Acknowledge and delete: the entries are sent, settled or handed on."""
        if not entries:
            return
        ids = [entry.stream_id for entry in entries]
        pipe = self.client.pipeline(transaction=False)
        pipe.xack(self.key, GROUP, *ids)
        pipe.xdel(self.key, *ids)
        pipe.execute()


def add(entries: list[Entry], key: str | None = None, client: Redis | None = None) -> None:
    """Add entries as the issuing script does, without its wake flag: for tools that fill
    an outbox (this site's, or `key`), such as the bench and the tests."""
    pipe = (client or verify_code_redis()).pipeline(transaction=False)
    for entry in entries:
        pipe.xadd(key or stream_key(), {FIELD: entry.packed()})
    pipe.execute()


def waiting(key: str | None = None, client: Redis | None = None) -> list[Entry]:
    """Every entry in an outbox (this site's, or `key`), taken or not, oldest first."""
    return _entries((client or verify_code_redis()).xrange(key or stream_key()))


def withdraw(stream_id: str) -> None:
    """Undo an entry whose wake-up could not be published, and free the flag for the next."""
    pipe = verify_code_redis().pipeline(transaction=False)
    pipe.xdel(stream_key(), stream_id)
    pipe.delete(wake_key())
    pipe.execute()
