"""Fair shares of the served chat's queue (#21): one client cannot take it all.

Gradio's queue refuses a request only when ``queue_size`` requests wait in all; one browser
tab or one script that posts 200 questions at once fills it, and everyone else is refused
until those are answered. Here a request is refused when its own session already has
``queue_per_session`` requests waiting, or its client (the signed-in user, else a remote
address) has ``queue_per_client``; the others keep their places. A loopback address is not a
client of its own: every browser on the machine shares it, and the machine is its user's.

Gradio has no hook for this; the queue's ``push`` is wrapped (``install``) and reads the waiting
events Gradio keeps per concurrency group. A test drives a real server, so a Gradio release
that moves them fails it rather than silently dropping the limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from c5qa.settings import Settings


@dataclass(frozen=True)
class Waiting:
    """Who a waiting request belongs to: its browser session and its client, if any."""

    session: str
    client: str | None


def client_of(username: str | None, address: str | None) -> str | None:
    """The client a request counts against: its user when signed in, else a remote address;
    None for an anonymous request from this machine."""
    if username:
        return f"user:{username}"
    if not address:
        return None
    try:
        if ipaddress.ip_address(address).is_loopback:
            return None
    except ValueError:  # a test client's made-up name: a client of its own
        pass
    return f"address:{address}"


def refusal(waiting: Iterable[Waiting], request: Waiting, settings: Settings) -> str | None:
    """Why ``request`` may not join the queue, as the one line its sender reads; None if it
    may."""
    same_session = same_client = 0
    for other in waiting:
        same_session += other.session == request.session
        same_client += request.client is not None and other.client == request.client
    if same_session >= settings.queue_per_session:
        return (
            f"{same_session} requests of this session are already waiting; "
            "ask again when they are answered"
        )
    if same_client >= settings.queue_per_client:
        return (
            f"{same_client} requests of yours are already waiting; ask again when they are answered"
        )
    return None


def waiting_in(queue: Any) -> Iterator[Waiting]:
    """The requests waiting in Gradio's queue (not those running), per concurrency group."""
    for group in queue.event_queue_per_concurrency_id.values():
        for event in group.queue:
            yield Waiting(event.session_hash, client_of(event.username, _address(event.request)))


def install(blocks: Any, settings: Settings) -> None:
    """Wrap the queue of ``blocks`` (after ``blocks.queue(...)``, which makes a new one) so
    that a request over its share is refused as a full queue is: 503 with the line."""
    queue = blocks._queue
    push = queue.push

    async def fair_push(body: Any, request: Any, username: str | None) -> Any:
        session = body.session_hash or ""
        asking = Waiting(session, client_of(username, _address(request)))
        reason = refusal(waiting_in(queue), asking, settings)
        if reason is not None:
            return False, reason, "queue_full"
        return await push(body, request, username)

    queue.push = fair_push


def _address(request: Any) -> str | None:
    client = getattr(request, "client", None)
    return client.host if client else None
