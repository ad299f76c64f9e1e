"""What the rule workers know of each site, read fresh per batch and parsed once per version."""

from __future__ import annotations

from moderation.rules.base import SiteView
from moderation.site_settings import SiteSettings

SELECT_SITES = """
SELECT site_id, settings, settings_version FROM sites WHERE site_id = ANY($1::text[])"""


class SiteViews:
    """Reading the settings version with every batch makes a change reach all workers at once."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, int], SiteView] = {}

    async def load(self, conn, site_ids: set[str]) -> dict[str, SiteView]:
        rows = await conn.fetch(SELECT_SITES, list(site_ids))
        return {row["site_id"]: self._view(row) for row in rows}

    def _view(self, row) -> SiteView:
        key = (row["site_id"], row["settings_version"])
        view = self._parsed.get(key)
        if view is None:
            settings = SiteSettings.model_validate(row["settings"])
            view = SiteView(site_id=row["site_id"], settings=settings,
                            params=settings.rule_params(), version=row["settings_version"])
            self._parsed = {k: v for k, v in self._parsed.items() if k[0] != key[0]}
            self._parsed[key] = view
        return view
