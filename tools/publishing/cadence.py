"""A channel's cadence as publishing slots: which videos it needs, when each goes out, and when to start it.

Video k of a local day goes out on each platform at that platform's k-th window of the day
(``cadence.windows``, or the channel's learned best windows: ``schedule.best_windows``). A
production starts ``cadence.produce_ahead_hours`` before the first of its windows. Each video
has a key, ``<local date>#<k>``, which the autopilot stores on the run it starts for it, so a
slot is produced once however many autopilots look.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from reelcrew.config import ChannelConfig
from reelcrew.tools.publishing.schedule import LEAD_TIME, best_windows, channel_zone
from reelcrew.tools.store.runstore import RunStore

FILL_HOURS = (12, 15, 19, 9, 21, 17, 11, 13, 18, 10, 20, 16, 14, 8, 22, 7, 23, 6)  # beyond the learned windows


@dataclass(frozen=True)
class VideoSlot:
    """One video the cadence asks for: its key and when it goes out on each platform (UTC)."""

    channel: str
    key: str
    times: dict[str, datetime] = field(default_factory=dict)
    start_at: datetime = datetime.min.replace(tzinfo=timezone.utc)

    @property
    def first(self) -> datetime:
        return min(self.times.values())

    def options(self) -> dict:
        """What the run stores about its slot (``run.options``)."""
        return {"cadence": self.key, "platforms": list(self.times),
                "slots": {p: t.isoformat() for p, t in self.times.items()}}


def day_hours(channel: ChannelConfig, store: RunStore | None, platform: str, day: date, count: int) -> list[int]:
    """The ``count`` local hours ``platform`` posts at on ``day``, earliest first."""
    listed = channel.cadence.hours()
    if listed is not None:
        return listed[:count]
    if store is None:
        from reelcrew.tools.publishing.schedule import DEFAULT_WINDOWS
        windows = DEFAULT_WINDOWS[platform]
    else:
        windows = best_windows(store, channel, platform)[0]
    hours = [h for d, h in windows if d == day.weekday()]
    for h in [h for _, h in windows] + list(FILL_HOURS):  # a busy cadence: the other learned hours, then the usual ones
        if len(hours) >= count:
            break
        if h not in hours:
            hours.append(h)
    return sorted(hours[:count])


def day_slots(channel: ChannelConfig, store: RunStore | None, day: date) -> list[VideoSlot]:
    """Every video the cadence asks for on the local ``day``."""
    zone = channel_zone(channel)
    counts = channel.cadence.per_platform(list(channel.platforms))
    hours = {p: day_hours(channel, store, p, day, n) for p, n in counts.items() if n > 0}
    ahead = timedelta(hours=channel.cadence.produce_ahead_hours)
    slots = []
    for k in range(max(counts.values(), default=0)):
        times = {p: datetime.combine(day, time(hs[k]), zone).astimezone(timezone.utc)
                 for p, hs in hours.items() if k < len(hs)}
        if times:
            slots.append(VideoSlot(channel.name, f"{day.isoformat()}#{k}", times, min(times.values()) - ahead))
    return slots


def upcoming_slots(channel: ChannelConfig, store: RunStore | None, now: datetime, *, days: int | None = None
                   ) -> list[VideoSlot]:
    """Slots whose windows are still ahead (at least the publisher's lead time from ``now``), earliest first;
    platforms whose window has passed are dropped from a slot."""
    zone = channel_zone(channel)
    today = now.astimezone(zone).date()
    span = days if days is not None else int(channel.cadence.produce_ahead_hours // 24) + 2
    out = []
    for offset in range(-1, span):
        for slot in day_slots(channel, store, today + timedelta(days=offset)):
            times = {p: t for p, t in slot.times.items() if t >= now + LEAD_TIME}
            if times:
                out.append(VideoSlot(slot.channel, slot.key, times, slot.start_at))
    return sorted(out, key=lambda s: (s.first, s.key))


def due_slots(channel: ChannelConfig, store: RunStore | None, now: datetime) -> list[VideoSlot]:
    """Slots whose production should have started by ``now`` (their start time has come)."""
    return [s for s in upcoming_slots(channel, store, now) if s.start_at <= now]
