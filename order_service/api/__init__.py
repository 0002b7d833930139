"""HTTP layer: one blueprint per resource, the authenticated ones under /api/v1."""

from __future__ import annotations

from sanic import Blueprint

from order_service.api import (
    exchanges,
    invoices,
    orders,
    policy,
    products,
    public,
    refunds,
    shoppers,
)
from order_service.api.auth import require_token

# Built once at import: blueprint middleware accumulates on the blueprints, so
# grouping them per app would check the token once more for every app created.
api_v1 = Blueprint.group(
    policy.bp,
    shoppers.bp,
    orders.bp,
    refunds.bp,
    exchanges.bp,
    invoices.bp,
    products.bp,
    url_prefix="/api/v1",
)
api_v1.middleware(require_token, "request")
public_routes = public.bp
