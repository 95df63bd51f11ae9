"""Adapters behind the Broker protocol: backtrader simulator, Alpaca, and the loopback sandbox."""
