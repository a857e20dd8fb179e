"""``/graphql`` over WebSocket: GraphQL subscriptions in the ``graphql-transport-ws`` protocol.

The protocol (github.com/enisdenjo/graphql-ws, PROTOCOL.md): the client sends
``connection_init`` (its payload carries the credentials: ``{"authorization":
"Token <key>"}`` or a signed API key ``{"apiKey", "timestamp", "signature"}``),
the server answers ``connection_ack``; then ``subscribe`` with an id, answered
by ``next`` per result and ``complete`` (or one ``error``); either side may
``complete`` an id; ``ping``/``pong`` at any time. Violations close the socket
with the protocol's codes. Each event is executed in a worker thread, so the
resolvers are the ordinary synchronous ones (``api/graphql/subscriptions.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterable
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution import create_source_event_stream
from rest_framework.authtoken.models import Token

from api.graphql.core.limits import MAX_QUERY_TOKENS, query_limits
from api.graphql.schema import schema
from api.graphql.views import ExchangeGraphQLView
from api.json_input import JsonInputError, loads_bounded
from api.ws import metrics
from api.ws.ws_api import _client_ip, _verify
from exchange.accounts.errors import ApiKeyError
from exchange.accounts.models import ApiKey, User

SUBPROTOCOL = "graphql-transport-ws"
# The protocol's close codes.
BAD_MESSAGE, UNAUTHORIZED, FORBIDDEN, INIT_TIMEOUT = 4400, 4401, 4403, 4408
DUPLICATE_ID, TOO_MANY_INITS, SUBPROTOCOL_NOT_ACCEPTABLE = 4409, 4429, 4406
MAX_FRAME_BYTES = 64 * 1024
MAX_SUBSCRIPTIONS = 50


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def token_key(payload: Any) -> str | None:
    """The login token of a connection_init payload (``"Token <key>"``), if any."""
    authorization = payload.get("authorization") if isinstance(payload, dict) else None
    if isinstance(authorization, str) and authorization.startswith("Token "):
        return authorization[6:]
    return None


def _authenticate(payload: Any, client_ip: str) -> tuple[User | None, ApiKey | None]:
    """The caller named by connection_init's payload: a login token, a signed API key, or
    nobody (no payload: public fields only)."""
    if payload is None or payload == {}:
        return None, None
    if not isinstance(payload, dict):
        raise Refused(FORBIDDEN, "Forbidden")
    authorization = payload.get("authorization")
    if isinstance(authorization, str) and authorization.startswith("Token "):
        token = Token.objects.select_related("user").filter(key=token_key(payload)).first()
        if token is None or not token.user.is_active:
            raise Refused(FORBIDDEN, "Forbidden")
        return token.user, None
    if payload.get("apiKey"):
        try:
            api_key = _verify(payload, client_ip)
        except ApiKeyError:
            raise Refused(FORBIDDEN, "Forbidden") from None
        return api_key.user, api_key
    raise Refused(FORBIDDEN, "Forbidden")


def _still_signed_in(user_id: int, token_key: str | None, api_key_id: int | None) -> bool:
    """Whether the credentials the socket signed in with still hold: the user active, and
    the login token not deleted (log-out) or the API key not revoked."""
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        return False
    if api_key_id is not None:
        return ApiKey.objects.filter(pk=api_key_id, revoked_at__isnull=True).exists()
    return Token.objects.filter(key=token_key, user_id=user_id).exists()


def _errors(errors: list[GraphQLError]) -> list[dict[str, Any]]:
    return [ExchangeGraphQLView.format_error(error) for error in errors]


def _result(result: ExecutionResult) -> dict[str, Any]:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = _errors(result.errors)
    return payload


class GraphQLTransportConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = "__no_channel_layer__"

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        metrics.CONNECTIONS.labels(metrics.GRAPHQL).inc()
        await super().websocket_connect(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        metrics.CONNECTIONS.labels(metrics.GRAPHQL).dec()
        await super().websocket_disconnect(message)

    async def connect(self) -> None:
        if SUBPROTOCOL not in self.scope.get("subprotocols", ()):
            await self.accept()
            await self.close(code=SUBPROTOCOL_NOT_ACCEPTABLE)
            return
        self.user: User | None = None
        self.api_key: ApiKey | None = None
        self.init_received = False
        self.acknowledged = False
        self.operations: dict[str, asyncio.Task[None]] = {}
        await self.accept(subprotocol=SUBPROTOCOL)
        self.init_timer = asyncio.get_running_loop().create_task(self._init_timeout())
        self.credentials_watch: asyncio.Task[None] | None = None

    async def _init_timeout(self) -> None:
        await asyncio.sleep(float(settings.GRAPHQL_WS_INIT_TIMEOUT_S))
        if not self.init_received:
            await self.close(code=INIT_TIMEOUT)

    async def disconnect(self, code: int) -> None:
        for task in getattr(self, "operations", {}).values():
            task.cancel()
        for timer in (getattr(self, "init_timer", None), getattr(self, "credentials_watch", None)):
            if timer is not None:
                timer.cancel()

    async def send_message(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message, separators=(",", ":"), default=str))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            await self._receive(text_data if text_data is not None else (bytes_data or b""))
        except Refused as refused:
            await self.close(code=refused.code, reason=refused.reason)

    async def _receive(self, raw: str | bytes) -> None:
        try:
            message = loads_bounded(raw, max_bytes=MAX_FRAME_BYTES)
        except JsonInputError:
            raise Refused(BAD_MESSAGE, "Invalid message received") from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise Refused(BAD_MESSAGE, "Invalid message received")
        kind = message["type"]
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == "ping":
            await self.send_message({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            task = self.operations.pop(str(message.get("id")), None)
            if task is not None:
                task.cancel()
        else:
            raise Refused(BAD_MESSAGE, f"Invalid message received: unknown type {kind[:40]!r}")

    async def _init(self, payload: Any) -> None:
        if self.init_received:
            raise Refused(TOO_MANY_INITS, "Too many initialisation requests")
        self.init_received = True
        self.user, self.api_key = await database_sync_to_async(_authenticate)(
            payload, _client_ip(self.scope)
        )
        self.acknowledged = True
        await self.send_message({"type": "connection_ack"})
        if self.user is not None:
            watch = self._watch_credentials(self.user.pk, token_key(payload))
            self.credentials_watch = asyncio.get_running_loop().create_task(watch)

    async def _watch_credentials(self, user_id: int, token: str | None) -> None:
        """Close the socket (4403) once its sign-in no longer holds: a log-out, a revoked
        key or a deactivated user ends the private streams too, as a listen key's end
        ends a user stream (``WS_LISTEN_KEY_CHECK_S``)."""
        key_id = self.api_key.pk if self.api_key is not None else None
        interval = float(settings.WS_LISTEN_KEY_CHECK_S)
        while True:
            await asyncio.sleep(interval)
            if not await database_sync_to_async(_still_signed_in)(user_id, token, key_id):
                await self.close(code=FORBIDDEN, reason="Forbidden")
                return

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if not self.acknowledged:
            raise Refused(UNAUTHORIZED, "Unauthorized")
        op_id, payload = message.get("id"), message.get("payload")
        if not isinstance(op_id, str) or not op_id or not isinstance(payload, dict):
            raise Refused(BAD_MESSAGE, "Invalid message received")
        query, variables = payload.get("query"), payload.get("variables") or {}
        if not isinstance(query, str) or not isinstance(variables, dict):
            raise Refused(BAD_MESSAGE, "Invalid message received")
        if op_id in self.operations:
            raise Refused(DUPLICATE_ID, f"Subscriber for {op_id[:40]} already exists")
        if len(self.operations) >= MAX_SUBSCRIPTIONS:
            raise Refused(BAD_MESSAGE, f"At most {MAX_SUBSCRIPTIONS} operations at once")
        operation_name = payload.get("operationName")
        task = asyncio.get_running_loop().create_task(
            self._run(op_id, query, variables, operation_name)
        )
        self.operations[op_id] = task

    def _context(self) -> SimpleNamespace:
        """A fresh context per execution: the loaders cache on it, and events must read anew."""
        return SimpleNamespace(user=self.user, api_key=self.api_key)

    async def _run(
        self, op_id: str, query: str, variables: dict[str, Any], operation_name: Any
    ) -> None:
        try:
            document, errors = self._document(query, variables)
            if errors:
                await self.send_message({"id": op_id, "type": "error", "payload": _errors(errors)})
                return
            operation = get_operation_ast(document, operation_name)
            if operation is not None and operation.operation == OperationType.MUTATION:
                # Mutations go through POST /graphql, where the rate limits are.
                refusal = GraphQLError("Mutations are not served on this socket: POST /graphql.")
                await self.send_message(
                    {"id": op_id, "type": "error", "payload": _errors([refusal])}
                )
                return
            if operation is None or operation.operation != OperationType.SUBSCRIPTION:
                result = await database_sync_to_async(self._execute)(
                    document, None, variables, operation_name
                )
                await self.send_message({"id": op_id, "type": "next", "payload": _result(result)})
            elif not await self._stream(op_id, document, variables, operation_name):
                return  # an error message ends the operation: no complete
            await self.send_message({"id": op_id, "type": "complete"})
        finally:
            self.operations.pop(op_id, None)

    def _document(
        self, query: str, variables: dict[str, Any]
    ) -> tuple[DocumentNode, list[GraphQLError]]:
        if "\x00" in query:
            raise Refused(BAD_MESSAGE, "Invalid message received")
        try:
            document = parse(query, no_location=True, max_tokens=MAX_QUERY_TOKENS)
        except GraphQLError as exc:
            return DocumentNode(definitions=()), [exc]
        rules = (*specified_rules, query_limits(variables))
        return document, validate(schema.graphql_schema, document, rules)

    def _execute(
        self, document: DocumentNode, root: Any, variables: dict[str, Any], operation_name: Any
    ) -> ExecutionResult:
        result = execute(
            schema.graphql_schema,
            document,
            root_value=root,
            context_value=self._context(),
            variable_values=variables,
            operation_name=operation_name,
        )
        assert isinstance(result, ExecutionResult)  # every resolver here is synchronous
        return result

    async def _stream(
        self, op_id: str, document: DocumentNode, variables: dict[str, Any], operation_name: Any
    ) -> bool:
        """Send a ``next`` per event until the stream ends; False if it could not start."""
        source = await create_source_event_stream(
            schema.graphql_schema,
            document,
            context_value=self._context(),
            variable_values=variables,
            operation_name=operation_name,
        )
        if isinstance(source, ExecutionResult):
            await self.send_message(
                {"id": op_id, "type": "error", "payload": _errors(source.errors or [])}
            )
            return False
        events: AsyncIterable[Any] = source
        try:
            async for event in events:
                result = await database_sync_to_async(self._execute)(
                    document, event, variables, operation_name
                )
                await self.send_message({"id": op_id, "type": "next", "payload": _result(result)})
        except GraphQLError as error:  # the subscribe function refused (credentials, symbol)
            await self.send_message({"id": op_id, "type": "error", "payload": _errors([error])})
            return False
        finally:
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]
        return True
