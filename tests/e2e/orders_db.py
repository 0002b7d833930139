"""Expected answers, read straight from the order database the stack serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

import sqlalchemy as sa

IN_TRANSIT = ("shipped", "out_for_delivery")


@dataclass(frozen=True)
class Parcel:
    shopper_id: str
    order_no: str
    carrier_name: str
    tracking_no: str
    latest_event: str


def shoppers_with_in_transit(engine: sa.engine.Engine, count: int) -> List[str]:
    query = sa.text(
        "SELECT shopper_id FROM orders WHERE status IN ('shipped', 'out_for_delivery') "
        "GROUP BY shopper_id HAVING COUNT(*) = :count ORDER BY shopper_id"
    )
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query, {"count": count})]


def in_transit_parcels(engine: sa.engine.Engine, shopper_id: str) -> List[Parcel]:
    query = sa.text(
        "SELECT o.order_no, s.carrier_name, s.tracking_no, "
        "  (SELECT e.description FROM tracking_events e WHERE e.shipment_id = s.id "
        "   ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS latest "
        "FROM orders o JOIN shipments s ON s.order_no = o.order_no "
        "WHERE o.shopper_id = :shopper AND o.status IN ('shipped', 'out_for_delivery') "
        "ORDER BY o.created_at DESC"
    )
    with engine.connect() as conn:
        return [
            Parcel(shopper_id, row[0], row[1], row[2], row[3])
            for row in conn.execute(query, {"shopper": shopper_id})
        ]


def an_order_of(engine: sa.engine.Engine, shopper_id: str, status: str) -> str:
    query = sa.text(
        "SELECT order_no FROM orders WHERE shopper_id = :shopper AND status = :status "
        "ORDER BY created_at DESC LIMIT 1"
    )
    with engine.connect() as conn:
        return conn.execute(query, {"shopper": shopper_id, "status": status}).scalar()


def any_order(engine: sa.engine.Engine, status: str) -> tuple[str, str]:
    query = sa.text(
        "SELECT shopper_id, order_no FROM orders WHERE status = :status "
        "ORDER BY order_no LIMIT 1"
    )
    with engine.connect() as conn:
        row = conn.execute(query, {"status": status}).one()
        return row[0], row[1]


def orders_in(engine: sa.engine.Engine, status: str) -> List[tuple[str, str]]:
    """(shopper_id, order_no) of every order in a state, oldest shopper first."""
    query = sa.text(
        "SELECT shopper_id, order_no FROM orders WHERE status = :status ORDER BY shopper_id, order_no"
    )
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(query, {"status": status})]


def first_item(engine: sa.engine.Engine, order_no: str) -> tuple[str, str]:
    """(title, spec) of the order's first line."""
    query = sa.text("SELECT title, spec FROM order_items WHERE order_no = :no ORDER BY id LIMIT 1")
    with engine.connect() as conn:
        row = conn.execute(query, {"no": order_no}).one()
        return row[0], row[1]


def tracking_events(engine: sa.engine.Engine, order_no: str) -> List[str]:
    """Descriptions of the parcel's tracking events, newest first."""
    query = sa.text(
        "SELECT e.description FROM tracking_events e JOIN shipments s ON e.shipment_id = s.id "
        "WHERE s.order_no = :no ORDER BY e.occurred_at DESC, e.id DESC"
    )
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query, {"no": order_no})]


def order_row(engine: sa.engine.Engine, order_no: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM orders WHERE order_no = :no"), {"no": order_no})
        return dict(row.mappings().one())


def refunds_of(engine: sa.engine.Engine, order_no: str) -> List[dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM refunds WHERE order_no = :no"), {"no": order_no})
        return [dict(r) for r in rows.mappings()]
