"""Load, capacity and topology: what one machine carries and how the product grows past it.

``xiaoer benchmark`` (``bench.run``) starts the product (``bench.topology``: nginx in
front of Rasa and console replicas), plays simulated shoppers over the widget's
Socket.IO and over REST (``bench.load``, ``bench.clients``), runs the plain
default-config Rasa starter bot on the same machine in the same run
(``bench.baseline``) and prints our figures beside it (``bench.report``).
"""
