"""Reference order service for xiaoer.

It stands in for the merchant's own order system: the bot reads orders and
requests cancellations, address changes and refunds over the HTTP contract in
``openapi.yaml``. A merchant swaps it out by pointing the bot's
``ORDER_API_URL`` at their own implementation of that contract, which is why
the store's business rules live here rather than in the bot.
"""
