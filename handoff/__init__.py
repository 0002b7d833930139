"""Human handoff: escalation tickets and the Redis agent-queue engine behind the console.

All state lives in Redis so any number of replicas share it; time comes from an
injectable clock. One job per module:

- ``tickets``     the Ticket (content), its TicketStatus (lifecycle) and routing (group_for)
- ``config``      HandoffConfig: every setting, from HANDOFF_* environment variables
- ``hours``       ServiceHours: when people answer
- ``priority``    priority points and the queue score (band, priority, FIFO)
- ``store``       the Redis key layout and the one function that keeps its indexes consistent
- ``events``      the JSON events published on every state change, and a subscriber
- ``presence``    agents: sign-in, heartbeats, online/away, load
- ``wait``        estimated waits from measured chat lengths
- ``transitions`` atomic WATCH/MULTI state changes of one ticket
- ``queue``       HandoffQueue: the shopper's side (enqueue, place, leave a message, abandon)
- ``desk``        Desk: the agent's side (claim, take next, reply, release, transfer, resolve)
- ``assignment``  Dispatcher: offers to the least-loaded agent and the periodic sweep

Build every component on one Store::

    store = Store.from_url(redis_url)            # settings from the environment
    queue, desk, dispatcher = HandoffQueue(store), Desk(store), Dispatcher(store)
"""
