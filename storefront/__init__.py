"""A demo merchant store page: pick a demo shopper, get a signed token, chat.

It plays the merchant's own website, the only party that knows who is logged in and
therefore the one that signs the shopper token the chat channels verify.
"""
