"""A halt from the intraday loss watch reads as what it is in the tear sheet and the console."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analyzers.halts import episodes, story


def test_an_intraday_loss_halt_is_told_in_words() -> None:
    events = pd.DataFrame({
        "seq": [1, 2], "client_order_id": ["*", "*"], "event": ["halt", "resume"], "status": ["session", "session"],
        "time": ["2019-06-04T16:03:12+00:00", "2019-06-05T13:00:00+00:00"],
        "detail": ["intraday_loss", "new session after intraday_loss"],
    })
    [episode] = episodes(events, [date(2019, 6, 4), date(2019, 6, 5)])
    text = story(episode, {"daily_loss_limit": 0.03}, paper=True)
    assert text == ("halted 2019-06-04 for 1 session: daily loss limit, intraday (loss watch) 3% reached; "
                    "lifted at the next session")
