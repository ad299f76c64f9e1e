"""Waiting to be woken: a loop cancelled at shutdown stops, even when it is woken at that moment."""

import asyncio

import pytest

from moderation.db.listen import wait_until_woken


async def test_a_wait_cancelled_as_it_is_woken_is_cancelled():
    wake = asyncio.Event()
    waiting = asyncio.create_task(wait_until_woken(wake, 60))
    await asyncio.sleep(0)  # the task is now waiting on the event
    wake.set()
    waiting.cancel()  # in the same turn of the loop: the wake-up must not swallow the cancel
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_wait_ends_when_woken_or_after_its_time():
    wake = asyncio.Event()
    wake.set()
    await wait_until_woken(wake, 60)  # returns at once
    await wait_until_woken(asyncio.Event(), 0.01)  # returns once the time is up, without error
