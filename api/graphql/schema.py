"""The GraphQL schema: each domain's queries and one class per mutation.

``schema.graphql`` at the repository root is this schema printed; regenerate it
with ``python manage.py graphql_schema --out schema.graphql`` after a change
(tests/api/graphql/test_schema_file.py fails while they differ).
"""

from __future__ import annotations

import graphene

from api.graphql.accounts.mutations.api_key_create import CreateApiKey
from api.graphql.accounts.mutations.api_key_revoke import RevokeApiKey
from api.graphql.accounts.mutations.two_factor_disable import DisableTwoFactor
from api.graphql.accounts.mutations.two_factor_enrolment_begin import BeginTwoFactorEnrolment
from api.graphql.accounts.mutations.two_factor_enrolment_confirm import ConfirmTwoFactorEnrolment
from api.graphql.accounts.queries import AccountQueries
from api.graphql.futures.mutations.futures_order_cancel import CancelFuturesOrder
from api.graphql.futures.mutations.futures_order_place import PlaceFuturesOrder
from api.graphql.futures.mutations.futures_settings import SetLeverage, SetMarginType
from api.graphql.futures.mutations.futures_transfer import TransferFutures
from api.graphql.futures.queries import FuturesQueries
from api.graphql.markets.queries import MarketQueries
from api.graphql.orders.mutations.order_amend import AmendOrder
from api.graphql.orders.mutations.order_cancel import CancelOrder
from api.graphql.orders.mutations.order_cancel_all import CancelAllOrders
from api.graphql.orders.mutations.order_countdown import SetCancelCountdown
from api.graphql.orders.mutations.order_place import PlaceOrder
from api.graphql.orders.mutations.order_place_batch import PlaceOrders
from api.graphql.orders.mutations.order_place_oco import PlaceOco
from api.graphql.orders.mutations.order_replace import ReplaceOrder
from api.graphql.subscriptions import Subscription
from api.graphql.wallets.mutations.withdrawal_request import RequestWithdrawal


class Query(MarketQueries, AccountQueries, FuturesQueries, graphene.ObjectType):
    pass


class Mutation(graphene.ObjectType):
    place_order = PlaceOrder.Field()
    place_orders = PlaceOrders.Field()
    place_oco = PlaceOco.Field()
    cancel_order = CancelOrder.Field()
    replace_order = ReplaceOrder.Field()
    amend_order = AmendOrder.Field()
    cancel_all_orders = CancelAllOrders.Field()
    set_cancel_countdown = SetCancelCountdown.Field()
    request_withdrawal = RequestWithdrawal.Field()
    create_api_key = CreateApiKey.Field()
    revoke_api_key = RevokeApiKey.Field()
    place_futures_order = PlaceFuturesOrder.Field()
    cancel_futures_order = CancelFuturesOrder.Field()
    set_leverage = SetLeverage.Field()
    set_margin_type = SetMarginType.Field()
    transfer_futures = TransferFutures.Field()
    begin_two_factor_enrolment = BeginTwoFactorEnrolment.Field()
    confirm_two_factor_enrolment = ConfirmTwoFactorEnrolment.Field()
    disable_two_factor = DisableTwoFactor.Field()


schema = graphene.Schema(query=Query, mutation=Mutation, subscription=Subscription)
