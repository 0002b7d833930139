"""The agent console's server: accounts, sessions and a JSON API over the handoff engine.

The browser UI talks only to this server; this server talks to the Redis queue
engine (``handoff.desk``, ``handoff.queue`` …) and keeps what the engine does not:
who may log in (SQL accounts), private notes, and sessions. One job per module:

- ``settings``   ConsoleSettings from CONSOLE_* environment variables
- ``db``         engine, sessions and the package's own alembic migrations
- ``models``     the console_* tables: users and private notes
- ``passwords``  scrypt password hashes (stdlib only)
- ``accounts``   creating and looking up users
- ``sessions``   signed session cookies, CSRF tokens, revocation on logout
- ``ratelimit``  login failures per login, counted in Redis
- ``masking``    phone numbers masked before anything reaches the browser
- ``errors``     the JSON error shape and the refusal → HTTP mapping
- ``views``      tickets and chats as the console shows them
- ``api``        the HTTP routes
- ``sweeper``    the periodic ``Dispatcher.sweep()`` task
- ``app``        builds the Sanic app

Run it with ``python -m handoff.console serve``; add people with ``add-user``.
"""
