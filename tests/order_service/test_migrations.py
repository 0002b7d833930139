"""The alembic migrations build exactly the schema the models describe, and
upgrade a database that was seeded and used under an older revision in place."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import selectinload

from order_service import operations, views
from order_service.clock import utc_now
from order_service.commands import ExchangeCommand
from order_service.db import MIGRATIONS_DIR, engine_for, migrate, session_factory
from order_service.errors import RuleViolation
from order_service.models import Base, Order, OrderAudit, OrderItem, Product
from order_service.rules import validate_invoice
from order_service.states import InvoiceKind, InvoiceTitleType, OrderStatus
from tests.order_service.support import isolated_database

# The tables revision 0001 created, parents first.
TABLES_0001 = [
    "shoppers", "products", "skus", "orders", "order_items", "shipments", "tracking_events",
    "coupons", "refunds", "order_audit",
]
TABLES_0002 = {"exchanges", "invoices"}
# Tables of 0001 with an autoincrementing integer id.
SERIAL_TABLES = ("order_items", "shipments", "tracking_events", "order_audit")


def revision(engine) -> str:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def downgrade(url: str, to: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = engine_for(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, to)
    finally:
        engine.dispose()


def test_migrations_match_the_models_and_can_run_twice(tmp_path):
    with isolated_database(tmp_path) as url:
        migrate(url)
        migrate(url)
        engine = engine_for(url)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(connection)
                assert context.get_current_revision() == "0002"
                assert compare_metadata(context, Base.metadata) == []
            tables = set(inspect(engine).get_table_names())
            assert tables == set(Base.metadata.tables) | {"alembic_version"}
        finally:
            engine.dispose()


def test_a_missing_sqlite_directory_is_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'var' / 'orders.db'}"
    migrate(url)
    assert (tmp_path / "nested" / "var" / "orders.db").exists()


def _copy_rows(source, target, tables) -> dict[str, int]:
    """Fills a 0001 database with the seeded rows, as if it had lived under 0001."""
    counts = {}
    with source.connect() as read, target.begin() as write:
        for name in tables:
            table = Base.metadata.tables[name]
            rows = [dict(row) for row in read.execute(table.select()).mappings()]
            if rows:
                write.execute(table.insert(), rows)
            counts[name] = len(rows)
        if target.dialect.name == "postgresql":
            # Rows came with their ids; move the id sequences past them, as
            # the service itself would have done inserting them.
            for name in SERIAL_TABLES:
                if counts.get(name):
                    write.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT MAX(id) FROM {name}))"
                    ))
    return counts


def _counts(engine, tables) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.scalar(
                select(func.count()).select_from(Base.metadata.tables[name])
            )
            for name in tables
        }


def test_a_seeded_0001_database_upgrades_in_place(tmp_path, engine, seed_counts, policy):
    with isolated_database(tmp_path) as url:
        migrate(url, "0001")
        target = engine_for(url)
        try:
            assert revision(target) == "0001"
            assert set(inspect(target).get_table_names()) == set(TABLES_0001) | {"alembic_version"}
            copied = _copy_rows(engine, target, TABLES_0001)
            assert copied["orders"] >= 300 and copied["refunds"] > 0

            migrate(url)
            assert revision(target) == "0002"
            with target.connect() as connection:
                context = MigrationContext.configure(connection)
                assert compare_metadata(context, Base.metadata) == []
            assert _counts(target, TABLES_0001) == copied
            assert _counts(target, TABLES_0002) == {"exchanges": 0, "invoices": 0}
            _old_orders_work_with_the_new_code(target, policy)

            # And back: 0002's tables go, everything from before stays.
            downgrade(url, "0001")
            assert revision(target) == "0001"
            assert set(inspect(target).get_table_names()) == set(TABLES_0001) | {"alembic_version"}
            assert _counts(target, TABLES_0001)["orders"] == copied["orders"]
        finally:
            target.dispose()


def _old_orders_work_with_the_new_code(target, policy):
    now = utc_now()
    with session_factory(target).begin() as session:
        orders = list(session.scalars(
            select(Order).where(Order.shopper_id.like("u1%")).options(
                selectinload(Order.items).selectinload(OrderItem.product)
                .selectinload(Product.skus),
                selectinload(Order.refunds), selectinload(Order.exchanges),
                selectinload(Order.invoices),
            )
        ))
        details = [views.order_detail(order, policy, now) for order in orders]
        assert all(d["exchanges"] == [] and d["invoices"] == [] for d in details)
        assert any("invoice" in d["allowed_actions"] for d in details)
        exchangeable = next(d for d in details if "exchange" in d["allowed_actions"]
                            and d["status"] == OrderStatus.DELIVERED.value)
        invoiceable = next(d for d in details if "invoice" in d["allowed_actions"])
        shopper_of = {o.order_no: o.shopper_id for o in orders}

    with session_factory(target).begin() as session:
        order_no = exchangeable["order_no"]
        item = next(
            i for i in exchangeable["items"]
            if any(s.id != i["sku_id"] and s.stock >= i["quantity"]
                   for s in session.get(Product, i["product_id"]).skus)
        )
        wanted = next(s for s in session.get(Product, item["product_id"]).skus
                      if s.id != item["sku_id"] and s.stock >= item["quantity"])
        reasons = ["wrong_size", "quality"]
        for reason in reasons:
            try:
                with session.begin_nested():
                    operations.create_exchange(
                        session, policy, shopper_of[order_no], order_no,
                        ExchangeCommand(item["sku_id"], wanted.id, reason, None), now)
                break
            except RuleViolation:  # the no-reason window may rule wrong_size out
                if reason == reasons[-1]:
                    raise
        title = validate_invoice(InvoiceKind.ELECTRONIC_NORMAL, InvoiceTitleType.PERSONAL,
                                 "个人", None, "a@qq.com")
        operations.create_invoice(session, policy, shopper_of[invoiceable["order_no"]],
                                  invoiceable["order_no"], title, now)
    assert _counts(target, TABLES_0002) == {"exchanges": 1, "invoices": 1}
    with target.connect() as connection:
        actions = set(connection.scalars(select(OrderAudit.action).where(OrderAudit.at == now)))
    assert actions == {"exchange_create", "invoice_create"}
