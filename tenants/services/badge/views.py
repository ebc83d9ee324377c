"""How often the workspace's badges were seen, per day, for the chart on its badge page.

Views are counted in Redis as images are served and flushed into `BadgeView` rows every ten
minutes (jobs/badge_cache.py), so today's figure may be up to ten minutes behind.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from tenants.clock import today_in_spain
from tenants.db import session
from tenants.models import BadgeView


def daily_views(days: int = 30, *, today: date | None = None) -> list[tuple[date, int]]:
    """The current workspace's views of all its badges (its own and its invoices'), one
    `(day, views)` per day of the last `days` days up to today in Spain, oldest first, days
    without views as 0."""
    today = today or today_in_spain()
    first = today - timedelta(days=days - 1)
    counted = dict(
        session.execute(
            select(BadgeView.day, func.sum(BadgeView.views))
            .where(BadgeView.day >= first, BadgeView.day <= today)
            .group_by(BadgeView.day)
        ).all()
    )
    return [(day, int(counted.get(day, 0))) for day in (first + timedelta(n) for n in range(days))]
