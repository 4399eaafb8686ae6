"""The emulated OAuth 2.0 token endpoint: refresh-token grants, public or confidential clients."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from careline_twitter.emulator.gate import request_line, scripted_response
from careline_twitter.emulator.state import EmulatorState


class OAuth:
    """``POST /2/oauth2/token`` over one :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def token(self, request: Request) -> Response:
        """``POST /2/oauth2/token`` with ``grant_type=refresh_token`` (public or confidential)."""
        state = self.state
        state.requests.append(request_line(request))
        failure = state.take_failure("POST /2/oauth2/token")
        if failure is not None:
            return scripted_response(
                state, failure.status, failure.body, failure.headers, failure.reset_in
            )
        form = await request.form()
        client_id = str(form.get("client_id") or "")
        basic = _basic_credentials(request.headers.get("authorization"))
        if basic is not None:
            client_id, secret = basic
            if state.client_secret is None or secret != state.client_secret:
                return JSONResponse(
                    {
                        "error": "unauthorized_client",
                        "error_description": "Missing valid authorization header",
                    },
                    status_code=401,
                )
        elif state.client_secret is not None:
            return JSONResponse(
                {
                    "error": "unauthorized_client",
                    "error_description": "Missing valid authorization header",
                },
                status_code=401,
            )
        if form.get("grant_type") != "refresh_token":
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Value passed for the grant type was invalid.",
                },
                status_code=400,
            )
        issued = state.refresh(str(form.get("refresh_token") or ""), client_id)
        if issued is None:
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Value passed for the token was invalid.",
                },
                status_code=400,
            )
        return JSONResponse(issued)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret
