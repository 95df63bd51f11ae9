"""The journal: one SQLite file (WAL) holding every decision, intent, order, event and fill.

Written *before* acting: the intents of a decision are committed before the broker hears of
any of them, and every broker answer is journaled before the engine acts on it, so a crash at
any line loses nothing and a restart rebuilds the portfolio and the open orders exactly. (A
backtest, re-run rather than recovered, keeps its journal in memory and writes the file whole at
the end: ``Journal(path, durable=False)``.)

One part a concern, behind one connection policy (:mod:`.connection`: durability, the schema and
its migration, transactions and the write queue; :class:`ReadOnlyJournal` for a reader beside a
writer; ``leave_out`` for a run only its figures read back):

- :mod:`.runs`: the runs and each bar's decisions (signals, risk decisions);
- :mod:`.orders`: the orders' write-ahead log (intents, orders, fills);
- :mod:`.events`: the event log and the alert cursor over it;
- :mod:`.equity`: the read model (equity, positions, the venue's marks);
- :mod:`.adjustments`: reconciliation adoptions and corporate actions, replayed between fills;
- :mod:`.halt`: the halt flag every process on the account shares;
- :mod:`.foreign`: orders at the venue that are not ours (no journaled intent), kept apart.
"""

from __future__ import annotations

from framework.journal.adjustments import Adjustment, AdjustmentLog
from framework.journal.connection import JournalConnection, ReadOnlyJournal
from framework.journal.equity import EquityLog
from framework.journal.events import EventLog, EventRow
from framework.journal.foreign import ForeignLog
from framework.journal.halt import HaltFlag, HaltState
from framework.journal.orders import OrderLog
from framework.journal.runs import RunInfo, RunLog
from framework.journal.schema import SCHEMA, SCHEMA_VERSION, UNREAD_BY_RESULTS


class Journal(RunLog, OrderLog, EquityLog, AdjustmentLog, HaltFlag, EventLog, ForeignLog, JournalConnection):
    """One journal per run (backtest) or per account (paper): every part over one connection."""


__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "UNREAD_BY_RESULTS",
    "Adjustment",
    "EventRow",
    "HaltState",
    "Journal",
    "JournalConnection",
    "ReadOnlyJournal",
    "RunInfo",
]
