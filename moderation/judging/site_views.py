"""What the rule workers know of each site, read fresh per batch and parsed once per version.

The versions of a batch's sites' settings and word lists come with the batch's claim
(moderation.queue.kinds.CLAIM); only when a version is new to this process does a query read the
site's settings, and another the words to compile. `load` reads the versions itself (dry-run).
"""

from __future__ import annotations

from moderation.db.pool import Connection
from moderation.rules.base import SiteView
from moderation.sites import wordlists as site_wordlists
from moderation.sites.settings import SiteSettings
from moderation.text.wordlists import WordList, WordListCache

# A site's versions: of its settings and of its word lists. Read here and with every claim
# (moderation.queue.kinds.CLAIM); a new word list is one more join in this one place.
VERSIONS = """s.settings_version,
       coalesce(b.version, 0) AS banned_version, coalesce(x.version, 0) AS suspect_version
  FROM sites s
  LEFT JOIN wordlists b ON b.site_id = s.site_id AND b.name = 'banned'
  LEFT JOIN wordlists x ON x.site_id = s.site_id AND x.name = 'suspect'"""

SELECT_SITES = f"""
SELECT s.site_id, s.settings, {VERSIONS}
 WHERE s.site_id = ANY($1::text[])"""

# The default lists are the same for every site: compiled once, under this site key.
DEFAULT_KEY = ""


class SiteViews:
    """Reading the versions with every batch makes a change reach all workers at once."""

    def __init__(self, wordlists: WordListCache | None = None) -> None:
        self._parsed: dict[str, tuple[tuple[int, int, int], SiteView]] = {}
        self._settings: dict[str, tuple[int, SiteSettings]] = {}
        self.wordlists = wordlists or WordListCache()

    async def load(self, conn: Connection, site_ids: set[str]) -> dict[str, SiteView]:
        rows = await conn.fetch(SELECT_SITES, list(site_ids))
        stale = [row for row in rows if not self._current(row["site_id"], _versions(row))]
        if stale:
            await self._refresh(conn, stale)
        return {row["site_id"]: self._parsed[row["site_id"]][1] for row in rows}

    async def of_claimed(self, conn: Connection, claimed) -> dict[str, SiteView]:
        """The views of a claimed batch's sites, by the versions read with the claim (a site that
        no longer exists has none, and is left out)."""
        versions = {job["site_id"]: _versions(job) for job in claimed
                    if job["settings_version"] is not None}
        stale = [site_id for site_id, seen in versions.items() if not self._current(site_id, seen)]
        if stale:
            await self._refresh(conn, await conn.fetch(SELECT_SITES, stale))
        return {site_id: self._parsed[site_id][1] for site_id in versions
                if site_id in self._parsed}

    def _current(self, site_id: str, versions: tuple[int, int, int]) -> bool:
        entry = self._parsed.get(site_id)
        return entry is not None and entry[0] == versions

    async def _refresh(self, conn: Connection, rows) -> None:
        missing = [(row["site_id"], name) for row in rows for name in site_wordlists.NAMES
                   if row[f"{name}_version"] != self._list_version(row["site_id"], name)]
        stored = await site_wordlists.words_of(conn, missing) if missing else {}
        for row in rows:
            site_id = row["site_id"]
            lists: dict[str, WordList] = {}
            for name in site_wordlists.NAMES:
                version = row[f"{name}_version"]
                if version == 0:
                    lists[name] = self.wordlists.get(DEFAULT_KEY, name, 0,
                                                     site_wordlists.DEFAULTS[name])
                elif (site_id, name) in stored:
                    # The version read now may be newer than the first query's: either is fine.
                    found_version, words = stored[(site_id, name)]
                    lists[name] = self.wordlists.get(site_id, name, found_version, words)
                elif site_id in self._parsed:
                    lists[name] = self._parsed[site_id][1].wordlists[name]
                else:  # the site went away between the two queries
                    lists[name] = self.wordlists.get(site_id, name, version, [])
            self._parsed[site_id] = (_versions(row), self.view(site_id, row["settings"],
                                                               row["settings_version"], lists))

    def _list_version(self, site_id: str, name: str) -> int | None:
        entry = self._parsed.get(site_id)
        return None if entry is None else entry[1].wordlists[name].version

    def view(self, site_id: str, settings_json, settings_version: int,
             lists: dict[str, WordList]) -> SiteView:
        cached = self._settings.get(site_id)
        if cached is None or cached[0] != settings_version:
            cached = (settings_version, SiteSettings.model_validate(settings_json))
            self._settings[site_id] = cached
        settings = cached[1]
        return SiteView(site_id=site_id, settings=settings, params=settings.rule_params(),
                        wordlists=lists, version=settings_version)


def _versions(row) -> tuple[int, int, int]:
    return (row["settings_version"], row["banned_version"], row["suspect_version"])
