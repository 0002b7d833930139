"""Forms for requests that change an order: each ends in an explicit confirmation."""
