"""``/webhooks/<channel>/…``: platform deliveries, verified and stored before anything else.

The path answers fast: it reads the raw body (size-limited), lets the channel verify the
signature, appends a raw event (duplicates are no-ops) and answers 200. Parsing and everything
after it happen in the worker. Unsigned or badly signed deliveries get 403 and store nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from careline.channels import WebhookRequest
from careline.db import WriteLockBusy
from careline.ingest import insert_ignoring_duplicates
from careline.models import RawEvent
from careline.runtime import Runtime
from careline.web.errors import problem
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


class BodyTooLarge(Exception):
    """The delivery is larger than ``[web] max_body_bytes``."""


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@functools.cache
def _insert_returning_keys(dialect: str) -> sa.Insert:
    table = RawEvent.__table__  # type: ignore[attr-defined]
    return insert_ignoring_duplicates(dialect).returning(table.c.channel, table.c.key)


STORED = b'{"received":true,"duplicate":false}'
REPEATED = b'{"received":true,"duplicate":true}'


class RawEventWriter:
    """Group commit: deliveries arriving together are stored in one transaction.

    Each request still waits until its own delivery is committed before it answers 200, so a
    crash never loses an acknowledged delivery; batching only shares the commit.
    """

    MAX_BATCH = 256
    GATHER_PASSES = 2

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.queue: asyncio.Queue[tuple[str, str, bytes, asyncio.Future[bool]]] | None = None
        self.task: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        # Where a batch waits for SQLite's write lock, off the event loop.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="careline-webhooks")

    async def store(self, channel: str, key: str, body: bytes) -> bool:
        """Store one delivery; ``False`` when it is a repeat."""
        loop = asyncio.get_running_loop()
        if self.queue is None or self.loop is not loop or self.task is None or self.task.done():
            # (Re)start on this loop: test clients may run each request on a fresh loop.
            self.loop = loop
            self.queue = asyncio.Queue()
            self.task = loop.create_task(self._drain())
        future: asyncio.Future[bool] = loop.create_future()
        await self.queue.put((channel, key, body, future))
        return await future

    async def _drain(self) -> None:
        queue = self.queue
        assert queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            # Let the event loop run a couple of passes first: requests read in the same burst
            # (their tasks are created, then run up to ``store``) join this batch instead of
            # waiting for the next commit. Under load it roughly doubles the batch; an idle
            # server loses only two loop iterations.
            for _ in range(self.GATHER_PASSES):
                await asyncio.sleep(0)
            while len(batch) < self.MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                results = await self._store_batch(loop, batch)
            except Exception as exc:  # every waiting request gets the error: none lost silently
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (*_, future), new in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(new)

    async def _store_batch(
        self,
        loop: asyncio.AbstractEventLoop,
        batch: list[tuple[str, str, bytes, asyncio.Future[bool]]],
    ) -> list[bool]:
        if self.runtime.db.is_sqlite:
            # One short local commit, in the event loop: cheaper than a hop to a thread (0.6
            # against 0.48 of a bare endpoint's rate) — but only when the write lock is free.
            # The worker may hold it for a whole batch; waiting for it here would stall every
            # request of the app, so then the batch waits in the writer thread instead.
            try:
                return self._write(batch, wait=False)
            except WriteLockBusy:
                return await loop.run_in_executor(self.executor, self._write, batch)
        return await run_in_threadpool(self._write, batch)

    def _write(
        self, batch: list[tuple[str, str, bytes, asyncio.Future[bool]]], *, wait: bool = True
    ) -> list[bool]:
        # One multi-row INSERT … ON CONFLICT DO NOTHING RETURNING for the whole batch: the rows
        # it returns are the new deliveries, every other one was stored before (or earlier in
        # this batch).
        distinct: dict[tuple[str, str], bytes] = {}
        for channel, key, body, _ in batch:
            distinct.setdefault((channel, key), body)
        received = self.runtime.now()
        rows = [
            {
                "channel": channel,
                "key": key,
                "body": body,
                "via": "webhook",
                "received_at": received,
                "status": "pending",
                "attempts": 0,
            }
            for (channel, key), body in distinct.items()
        ]
        database = self.runtime.db
        with database.engine.begin() if wait else database.begin_without_waiting() as connection:
            statement = _insert_returning_keys(connection.dialect.name)
            new = {(row.channel, row.key) for row in connection.execute(statement, rows)}
        results: list[bool] = []
        for channel, key, _, _ in batch:
            results.append((channel, key) in new)
            new.discard((channel, key))  # a repeat within the batch is a duplicate
        return results

    async def close(self) -> None:
        """Stop the writer (every request waiting on it has been answered by then)."""
        task = self.task
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.task, self.queue, self.loop = None, None, None
        # A batch still waiting for the lock commits or fails in its thread: none was answered.
        self.executor.shutdown(wait=False)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="careline-webhooks")


async def webhook(request: Request) -> Response:
    """Verify and store one delivery (POST) or answer a verification challenge (GET)."""
    runtime: Runtime = request.app.state.runtime
    name = request.path_params["channel"]
    channel = runtime.channels.get(name)
    if channel is None:
        return problem(404, f"no channel named {name!r} is installed")
    limit = runtime.settings.core("web").max_body_bytes
    try:
        body = await read_body(request, limit)
    except BodyTooLarge:
        return problem(413, f"deliveries are limited to {limit} bytes")
    delivery = WebhookRequest(
        method=request.method,
        path=request.url.path,
        query=dict(request.query_params),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
    )
    if request.method == "GET":
        answer = channel.answer_challenge(delivery)
        if answer is None:
            return problem(400, "not a verification request this channel understands")
        if isinstance(answer.body, dict):
            return JSONResponse(answer.body, status_code=answer.status)
        content = answer.body if isinstance(answer.body, str | bytes) else str(answer.body)
        return PlainTextResponse(content, status_code=answer.status, media_type=answer.media_type)
    if not channel.verify_webhook(delivery):
        return problem(403, "the delivery's signature is missing or does not match")
    key = channel.delivery_key(body)
    writer: RawEventWriter = request.app.state.raw_event_writer
    new = await writer.store(name, key, body)
    return Response(STORED if new else REPEATED, media_type="application/json")


def routes() -> list[Route]:
    """The webhook routes every channel shares."""
    return [
        Route("/webhooks/{channel}", webhook, methods=["GET", "POST"]),
        Route("/webhooks/{channel}/{rest:path}", webhook, methods=["GET", "POST"]),
    ]
