"""Live trading applications beside the core: the paper cycle, its service and schedule, the
intraday loss watch, operator actions, the dry run, and the dashboard's live source.

They drive a venue through the optional protocols of :mod:`framework.broker` and obtain the
adapter through :mod:`framework.adapters`; nothing here imports ``brokers``.
"""
