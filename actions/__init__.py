"""The action server: what the bot does, through the merchant's order API."""
