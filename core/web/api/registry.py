"""One declaration per API endpoint: the route, its role, its body model and its OpenAPI entry.

Endpoints are plain synchronous functions taking an :class:`ApiCall`; they run in Starlette's
thread pool (the storage layer is synchronous). Bodies are validated with pydantic models whose
JSON schema also goes into ``/api/openapi.json``, so the description cannot drift from the code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from careline.runtime import Runtime
from careline.services.views import NotFoundError
from careline.types import Role
from careline.web.auth import Principal, require
from careline.web.errors import ApiError, problem
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAX_JSON_BYTES = 256 * 1024


@dataclass
class ApiCall:
    """What an endpoint function receives."""

    runtime: Runtime
    principal: Principal | None
    path: Mapping[str, Any]
    query: Mapping[str, str]
    body: Any
    request: Request

    def query_int(
        self, name: str, default: int | None = None, *, low: int = 0, high: int = 10**9
    ) -> int | None:
        """An integer query parameter, range-checked (400 when malformed)."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"query parameter {name!r} must be a whole number") from None
        if not low <= value <= high:
            raise ApiError(400, f"query parameter {name!r} must be between {low} and {high}")
        return value

    @property
    def agent_id(self) -> int | None:
        """The calling agent's id."""
        return self.principal.agent_id if self.principal else None


Handler = Callable[[ApiCall], Any]


@dataclass
class Endpoint:
    """A declared endpoint."""

    method: str
    path: str
    handler: Handler
    summary: str
    role: Role | None
    body: type[BaseModel] | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    status: int = 200
    tag: str = "conversations"


class ApiRegistry:
    """Collects endpoints; builds Starlette routes and the OpenAPI description from them."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []

    def endpoint(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        role: Role | None = Role.AGENT,
        body: type[BaseModel] | None = None,
        query: Mapping[str, str] | None = None,
        status: int = 200,
        tag: str = "conversations",
    ) -> Callable[[Handler], Handler]:
        """Declare ``handler`` as ``METHOD path`` (path parameters as ``{name:int}``)."""

        def decorate(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(method, path, handler, summary, role, body, dict(query or {}), status, tag)
            )
            return handler

        return decorate

    def routes(self) -> list[Route]:
        """Starlette routes, one per path, dispatching on the method."""
        by_path: dict[str, dict[str, Endpoint]] = {}
        for endpoint in self.endpoints:
            by_path.setdefault(endpoint.path, {})[endpoint.method] = endpoint
        return [
            Route(path, _dispatcher(methods), methods=sorted(methods))
            for path, methods in by_path.items()
        ]


async def _read_json(request: Request) -> Any:
    if (
        request.headers.get("content-length", "0").isdigit()
        and int(request.headers.get("content-length", "0")) > MAX_JSON_BYTES
    ):
        raise ApiError(413, f"the body is larger than {MAX_JSON_BYTES} bytes")
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError(413, f"the body is larger than {MAX_JSON_BYTES} bytes")
    if not raw.strip():
        return {}
    content_type = request.headers.get("content-type", "application/json")
    if "json" not in content_type:
        raise ApiError(415, "send the body as application/json")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None


def _dispatcher(methods: dict[str, Endpoint]) -> Callable[[Request], Any]:
    async def dispatch(request: Request) -> Response:
        endpoint = methods.get(request.method)
        if endpoint is None:
            return problem(405, f"{request.method} is not allowed here")
        try:
            runtime: Runtime = request.app.state.runtime
            principal = require(request, endpoint.role) if endpoint.role else None
            body: Any = None
            if endpoint.body is not None:
                payload = await _read_json(request)
                try:
                    body = endpoint.body.model_validate(payload)
                except ValidationError as exc:
                    errors = [
                        {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                        for e in exc.errors()
                    ]
                    raise ApiError(
                        422, "the body does not match the expected shape", errors=errors
                    ) from None
            call = ApiCall(
                runtime, principal, request.path_params, request.query_params, body, request
            )
            result = await run_in_threadpool(endpoint.handler, call)
        except ApiError as exc:
            return problem(exc.status, exc.detail, **exc.extra)
        except NotFoundError as exc:
            return problem(404, str(exc))
        except PermissionError as exc:
            return problem(403, str(exc))
        except ValueError as exc:
            return problem(409, str(exc))
        if isinstance(result, Response):
            return result
        return JSONResponse(result, status_code=endpoint.status)

    return dispatch


def openapi_document(registry: ApiRegistry, *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 description of every declared endpoint."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for endpoint in registry.endpoints:
        openapi_path = endpoint.path.replace(":int", "").replace(":str", "")
        operation: dict[str, Any] = {
            "summary": endpoint.summary,
            "description": (endpoint.handler.__doc__ or endpoint.summary).strip(),
            "tags": [endpoint.tag],
            "operationId": endpoint.handler.__name__,
            "responses": {
                str(endpoint.status): {"description": "Success"},
                "default": {
                    "description": "A problem object (RFC 9457)",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                },
            },
        }
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if f"{{{name}:int}}" in endpoint.path else "string"},
            }
            for name in _path_names(endpoint.path)
        ]
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": text,
                "schema": {"type": "string"},
            }
            for name, text in endpoint.query.items()
        ]
        if parameters:
            operation["parameters"] = parameters
        if endpoint.body is not None:
            schema = endpoint.body.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                schemas[name] = definition
            schemas[endpoint.body.__name__] = schema
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{endpoint.body.__name__}"}
                    }
                },
            }
        if endpoint.role is not None:
            operation["security"] = [{"bearer": []}]
            operation["description"] += f"\n\nRequires the `{endpoint.role.value}` role or higher."
        paths.setdefault(openapi_path, {})[endpoint.method.lower()] = operation
    schemas["Problem"] = {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
        },
        "required": ["title", "status", "detail"],
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "careline API",
            "version": version,
            "description": "Social customer care: conversations, replies, reports.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _path_names(path: str) -> list[str]:
    names = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            names.append(part[1:-1].split(":")[0])
    return names
