"""kombu's Redis transport with one redis-py client per channel, not one per command.

kombu's Redis channel makes a new `redis.Redis` for every group of commands it sends (a
publish, a message taken, an ack), and redis-py's constructor builds its table of about
170 response callbacks each time: a fifth of the worker's CPU per SMS and a third of a
publish in our profiles (bench/results/profiles.md). A client owns no connection (each
command borrows one from the channel's pool) and is safe to share between threads, so
one per channel and pool does the same work.

Used when the broker is Redis (config.py: broker_transport); RabbitMQ is untouched.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from kombu.transport import redis
from redis import Redis


class Channel(redis.Channel):
    _shared_client: Redis | None = None

    @contextmanager
    def conn_or_acquire(self, client: Redis | None = None) -> Iterator[Redis]:
        if client:
            yield client
            return
        shared = self._shared_client
        # A channel gets a new pool after a lost connection: a client of the old one would
        # keep its dead connections.
        if shared is None or shared.connection_pool is not self.pool:
            shared = self._shared_client = self._create_client()
        yield shared


class Transport(redis.Transport):
    Channel = Channel
