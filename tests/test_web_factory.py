"""Several web processes share a socket whose connections answer without Nagle's delay."""

from __future__ import annotations

import asyncio
import socket

import pytest
import uvicorn
from careline.web.factory import NoDelayConfig


async def nodelay_of_accepted_connection(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection that asyncio accepts on ``listener``, as a server does."""
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        value = await asyncio.wait_for(accepted, 5)
        writer.close()
        return value
    finally:
        server.close()
        await server.wait_closed()


def bound(config_class: type[uvicorn.Config]) -> socket.socket:
    return config_class(
        "careline.web.factory:app_from_environment", host="127.0.0.1", port=0
    ).bind_socket()


def test_connections_on_the_shared_socket_get_tcp_nodelay() -> None:
    listener = bound(NoDelayConfig)
    assert listener.proto == socket.IPPROTO_TCP
    assert listener.get_inheritable()
    assert asyncio.run(nodelay_of_accepted_connection(listener)) != 0


def test_uvicorns_own_shared_socket_still_needs_the_fix() -> None:
    """When uvicorn sets ``proto`` itself (issue #3149 fixed), NoDelayConfig can go."""
    listener = bound(uvicorn.Config)
    if listener.proto == socket.IPPROTO_TCP:
        listener.close()
        pytest.skip("this uvicorn binds its shared socket as TCP: NoDelayConfig is not needed")
    assert asyncio.run(nodelay_of_accepted_connection(listener)) == 0
