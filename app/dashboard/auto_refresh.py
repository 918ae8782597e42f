"""The **Auto-refresh** toggle of the pages that show a running study's results.

A page calls :func:`auto_refresh` once, after its warehouse guard. With the toggle on (it is off
by default) and a study running, a small fragment looks at the warehouse every
:func:`app.dashboard.live.next_interval` seconds (5 s at first) and reruns the whole page when
new networks landed — the file's stamp changed — or when a study started or ended. While the
writer holds the file the wait doubles (up to a minute) and the page is not rerun, so a page
left open never starves the study that writes; when nothing runs there is no refresh at all.

The Overview redraws only its counts in its own fragment (``views/overview.py``); the pages
here recompute correlations and tables, which the cached data layer makes cheap when nothing
changed.
"""

from __future__ import annotations

import streamlit as st

from app.dashboard import data, live

__all__ = ["auto_refresh", "refresh_caption", "should_rerun"]


def auto_refresh(page: str) -> float | None:
    """Draw the toggle (key ``{page}_auto_refresh``) and start watching; return the interval.

    Returns the seconds between checks, ``None`` when the toggle is off or nothing runs.
    """
    auto = st.toggle("Auto-refresh while a study runs", value=False, key=f"{page}_auto_refresh")
    running, state = data.running_studies(), data.status()
    remembered = f"{page}_refresh_seconds"
    interval = live.next_interval(
        st.session_state.get(remembered), running=auto and bool(running), busy=state.busy
    )
    st.session_state[remembered] = interval
    if auto:
        st.caption(refresh_caption(interval))
    if interval is None:
        return None
    seen = data.stamp()
    drawn = [False]  # the fragment's first run is part of this page run

    @st.fragment(run_every=interval)
    def watch() -> None:
        if not drawn[0]:
            drawn[0] = True
            return
        now = data.status()
        if should_rerun(
            interval, running=running, busy=state.busy, stamp=seen,
            running_now=data.running_studies(), busy_now=now.busy, stamp_now=data.stamp(),
        ):  # fmt: skip
            st.rerun()

    watch()
    return interval


def should_rerun(
    interval: float,
    *,
    running: tuple[str, ...],
    busy: bool,
    stamp: tuple[int, ...],
    running_now: tuple[str, ...],
    busy_now: bool,
    stamp_now: tuple[int, ...],
) -> bool:
    """Whether a check finds reason to rerun the page drawn with ``running, busy, stamp``.

    A study started or ended (a new interval, maybe none); the file is busy and the wait can
    still double (the page reruns only to back off, it reads nothing new); or the file is free
    and new data landed, or the writer let go since the page was drawn.

    >>> seen = dict(running=("s",), busy=False, stamp=(1, 2))
    >>> should_rerun(5.0, **seen, running_now=("s",), busy_now=False, stamp_now=(1, 2))
    False
    >>> should_rerun(5.0, **seen, running_now=("s",), busy_now=False, stamp_now=(3, 4))
    True
    >>> should_rerun(60.0, **seen, running_now=("s",), busy_now=True, stamp_now=(3, 4))
    False
    """
    if running_now != running:
        return True
    if busy_now:
        return interval < live.MAX_REFRESH_SECONDS
    return busy or stamp_now != stamp


def refresh_caption(interval: float | None) -> str:
    """What the page says under the toggle.

    >>> refresh_caption(10.0), refresh_caption(None)
    ('Refreshing every 10 s.', 'Nothing runs: no refresh needed.')
    """
    return f"Refreshing every {interval:g} s." if interval else "Nothing runs: no refresh needed."
