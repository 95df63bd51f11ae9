"""Strategy plugins shipped with the project. Each module's Strategy subclasses are registered.

``COMMANDS``: the commands these plugins add to `trade` (name -> "module:attribute" of a click
command), as a third-party distribution adds them through the ``trade.commands`` entry points.
"""

COMMANDS = {"train": "strategies.xgboost_signal.cli:train"}
