"""Rate limits of /graphql per IP, user and API key: REST's throttles with GraphQL's budget.

A refused request gets 429 with ``Retry-After`` and the GraphQL error body
``{"errors": [{"extensions": {"code": "RATE_LIMITED"}}]}``. Limits come from
``settings.GRAPHQL_RATE_LIMITS``, read per request; buckets are ``graphql:<scope>:<id>``.
"""

from __future__ import annotations

from api.rest.throttling import ApiKeyRateThrottle, IpRateThrottle, UserRateThrottle


class GraphQLIpThrottle(IpRateThrottle):
    surface, limits_setting = "graphql", "GRAPHQL_RATE_LIMITS"


class GraphQLUserThrottle(UserRateThrottle):
    surface, limits_setting = "graphql", "GRAPHQL_RATE_LIMITS"


class GraphQLApiKeyThrottle(ApiKeyRateThrottle):
    surface, limits_setting = "graphql", "GRAPHQL_RATE_LIMITS"


# After authentication; the per-IP limit is checked before it (views.GraphQLView.initial).
GRAPHQL_THROTTLES = [GraphQLUserThrottle, GraphQLApiKeyThrottle]
