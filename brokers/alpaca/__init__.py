"""Alpaca adapter: the Broker protocol on alpaca-py, `trade paper` and the emergency commands."""
