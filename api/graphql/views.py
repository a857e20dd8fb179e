"""``/graphql``: DRF authenticates (session, token, signed API key), graphene executes.

GET with ``Accept: text/html`` serves GraphiQL. Authentication failures answer
like every GraphQL error, ``{"errors": [{"message", "extensions": {"code"}}]}``,
with the HTTP status REST gives the same code.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from graphene_django.views import GraphQLView as GrapheneView
from graphene_django.views import HttpError
from graphql import ExecutionResult, GraphQLError, parse, specified_rules
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.graphql.core.limits import MAX_QUERY_TOKENS, QUERY_TOO_LARGE, query_limits
from api.graphql.schema import schema as graphql_schema
from api.graphql.throttling import GRAPHQL_THROTTLES, GraphQLIpThrottle
from api.json_input import JsonInputError, loads_bounded
from api.refusals import GRAPHQL, count_field_error, count_refusal
from exchange.accounts.models import ApiKey
from exchange.core.errors import DomainError

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "INTERNAL_ERROR"
MALFORMED_REQUEST = "MALFORMED_REQUEST"  # REST's code for a body it cannot parse
NUL_MESSAGE = "A NUL character is not allowed in a request."


class ExchangeGraphQLView(GrapheneView):
    """graphene's view with the query limits and error codes of this API.

    Its GraphiQL page loads the assets from our static files, not graphene's CDN links.
    """

    graphiql_template = "graphql/graphiql.html"

    def execute_graphql_request(
        self,
        request: HttpRequest,
        data: Any,
        query: str | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        show_graphiql: bool = False,
    ) -> Any:
        # The view is built per request, so the limits can see this request's variables.
        self.validation_rules = (*specified_rules, query_limits(variables))
        if query and ("\x00" in query or "\\u0000" in query):
            # PostgreSQL refuses NUL in text; no argument of this schema may hold one.
            refused = GraphQLError(NUL_MESSAGE, extensions={"code": MALFORMED_REQUEST})
            return ExecutionResult(errors=[refused])
        if query:
            try:
                # Bounded first: the parse below and the validation rules are not.
                parse(query, no_location=True, max_tokens=MAX_QUERY_TOKENS)
            except GraphQLError as exc:
                if "tokens" in exc.message:
                    too_large = GraphQLError(exc.message, extensions={"code": QUERY_TOO_LARGE})
                    return ExecutionResult(errors=[too_large])
                # any other syntax error is reported by graphene's own parse, as before
        return super().execute_graphql_request(
            request, data, query, variables, operation_name, show_graphiql
        )

    def parse_body(self, request: HttpRequest) -> Any:
        """A JSON body through the bounded loader (graphene's own recursed without bound)."""
        if self.get_content_type(request) != "application/json":
            return super().parse_body(request)
        try:
            body = loads_bounded(request.body)
        except JsonInputError as exc:
            count_refusal(GRAPHQL, exc.reason)
            raise HttpError(HttpResponseBadRequest(str(exc)), str(exc)) from exc
        if not isinstance(body, dict):
            count_refusal(GRAPHQL, MALFORMED_REQUEST)
            message = "The received data is not a valid JSON query."
            raise HttpError(HttpResponseBadRequest(message), message)
        return body

    @staticmethod
    def get_graphql_params(request: HttpRequest, data: Any) -> Any:
        variables = request.GET.get("variables")
        if variables:
            try:
                loads_bounded(variables)
            except JsonInputError as exc:
                count_refusal(GRAPHQL, exc.reason)
                raise HttpError(HttpResponseBadRequest(str(exc)), str(exc)) from exc
        return GrapheneView.get_graphql_params(request, data)

    @staticmethod
    def format_error(error: Exception) -> dict[str, Any]:
        if isinstance(error, HttpError):
            code = MALFORMED_REQUEST if error.response.status_code == 400 else "METHOD_NOT_ALLOWED"
            return {"message": error.message or str(error), "extensions": {"code": code}}
        if not isinstance(error, GraphQLError):
            return GrapheneView.format_error(error)
        original = error.original_error
        if original is None:  # the document or its variables: syntax, validation, limits
            count_refusal(GRAPHQL, str((error.extensions or {}).get("code", "INVALID_DOCUMENT")))
        if isinstance(original, DomainError):
            count_field_error(GRAPHQL, original)
            error.extensions = {**(error.extensions or {}), "code": original.code.value}
            error.message = original.message
        elif original is not None and not isinstance(original, GraphQLError):
            logger.error("GraphQL resolver failed", exc_info=original)
            error.extensions = {**(error.extensions or {}), "code": INTERNAL_ERROR}
            if not settings.DEBUG:
                error.message = "Internal server error."
        return dict(error.formatted)


class GraphQLView(APIView):
    """Runs DRF's authentication classes, then the GraphQL request as that user.

    Anonymous callers may query public fields; resolvers of private data ask
    ``core.auth`` for the user and the API key's permission.
    """

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    throttle_classes = GRAPHQL_THROTTLES
    schema = None  # not part of the REST OpenAPI document: schema.graphql describes it
    graphql_view = staticmethod(ExchangeGraphQLView.as_view(schema=graphql_schema, graphiql=True))

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Per IP before authentication, so requests with bad credentials count too.
        per_ip = GraphQLIpThrottle()
        if not per_ip.allow_request(request, self):
            self.throttled(request, per_ip.wait())
        super().initial(request, *args, **kwargs)

    def get(self, request: Request) -> HttpResponse:
        return self._execute(request)

    def post(self, request: Request) -> HttpResponse:
        return self._execute(request)

    def _execute(self, request: Request) -> HttpResponse:
        django_request = request._request
        django_request.user = request.user
        django_request.api_key = request.auth if isinstance(request.auth, ApiKey) else None  # type: ignore[attr-defined]
        response: HttpResponse = self.graphql_view(django_request)
        return response

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # GraphiQL asks for text/html, clients for JSON: graphene chooses, never a 406.
        return super().perform_content_negotiation(request, force=True)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        body = response.data  # REST's {"code", "detail", "fields"} for the same failure
        response.data = {
            "errors": [{"message": body["detail"], "extensions": {"code": body["code"]}}]
        }
        return response
