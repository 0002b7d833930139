"""Settings from the environment and the add-user command."""

import pytest

from handoff.console.__main__ import main
from handoff.db import engine_for, session_factory
from handoff.console.models import User
from handoff.console.passwords import verify_password
from handoff.console.settings import DEV_SECRET, ConsoleSettings

SECRET = "s" * 40


def test_defaults_and_database_fallbacks(tmp_path):
    settings = ConsoleSettings.from_env({"CONSOLE_SECRET": SECRET, "XIAOER_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'console.db'}"
    assert settings.port == 8020 and settings.session_seconds == 8 * 3600 and settings.cookie_secure
    shared = ConsoleSettings.from_env({"CONSOLE_SECRET": SECRET, "DATABASE_URL": "postgresql://db/x"})
    assert shared.database_url == "postgresql://db/x"
    own = ConsoleSettings.from_env({"CONSOLE_SECRET": SECRET, "DATABASE_URL": "postgresql://db/x",
                                    "CONSOLE_DATABASE_URL": "sqlite:///c.db", "CONSOLE_PORT": "9000"})
    assert own.database_url == "sqlite:///c.db" and own.port == 9000


def test_secret_is_required_unless_dev():
    with pytest.raises(ValueError, match="CONSOLE_SECRET"):
        ConsoleSettings.from_env({})
    with pytest.raises(ValueError, match="at least"):
        ConsoleSettings.from_env({"CONSOLE_SECRET": "short"})
    dev = ConsoleSettings.from_env({"CONSOLE_DEV": "1"})
    assert dev.secret == DEV_SECRET and not dev.cookie_secure
    with pytest.raises(ValueError, match="CONSOLE_PORT"):
        ConsoleSettings.from_env({"CONSOLE_SECRET": SECRET, "CONSOLE_PORT": "http"})


def test_order_api_settings_match_the_bots():
    from bot.settings import DEV_ORDER_API_TOKEN

    default = ConsoleSettings.from_env({"CONSOLE_SECRET": SECRET})
    assert default.order_api_url == "http://127.0.0.1:8010" and default.order_api_token == DEV_ORDER_API_TOKEN
    assert (default.order_api_connect_timeout, default.order_api_read_timeout) == (1.0, 3.0)
    moved = ConsoleSettings.from_env({"CONSOLE_SECRET": SECRET, "ORDER_SERVICE_PORT": "9010"})
    assert moved.order_api_url == "http://127.0.0.1:9010"
    own = ConsoleSettings.from_env({"CONSOLE_SECRET": SECRET, "ORDER_API_URL": "https://orders.shop.example/",
                                    "ORDER_API_TOKEN": "t0k", "ORDER_API_READ_TIMEOUT": "8"})
    assert own.order_api_url == "https://orders.shop.example" and own.order_api_token == "t0k"
    assert own.order_api_read_timeout == 8.0
    with pytest.raises(ValueError, match="ORDER_API_CONNECT_TIMEOUT"):
        ConsoleSettings.from_env({"CONSOLE_SECRET": SECRET, "ORDER_API_CONNECT_TIMEOUT": "soon"})


def test_add_user_reads_the_password_from_the_environment(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CONSOLE_DATABASE_URL", url)
    monkeypatch.delenv("CONSOLE_SECRET", raising=False)
    monkeypatch.setenv("NEW_PW", "xiaomei-password")
    assert main(["add-user", "xiaomei", "--name", "小美", "--role", "agent",
                 "--groups", "logistics,after_sales", "--password-env", "NEW_PW"]) == 0
    assert main(["add-user", "xiaomei", "--name", "小美", "--groups", "logistics",
                 "--password-env", "NEW_PW"]) == 1
    assert main(["add-user", "bad", "--name", "x", "--groups", "nowhere", "--password-env", "NEW_PW"]) == 1
    assert main(["add-user", "nopw", "--name", "x", "--groups", "presale", "--password-env", "UNSET_PW"]) == 2
    engine = engine_for(url)
    with session_factory(engine)() as session:
        user = session.query(User).filter_by(login="xiaomei").one()
        assert user.groups == ("logistics", "after_sales") and user.display_name == "小美"
        assert verify_password("xiaomei-password", user.password_hash)
        assert session.query(User).count() == 1
    engine.dispose()
