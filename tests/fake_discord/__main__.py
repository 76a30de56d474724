"""Run the fake standalone, e.g. to try ``newsbot run`` by hand without Discord.

``python -m tests.fake_discord --port 8765 --channel 1:10:news`` prints the
``discord.api_base``/``discord.gateway_url`` values to put in the config.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging

from .server import FakeDiscord

log = logging.getLogger(__name__)


async def _serve(port: int, channels: list[str]) -> None:
    async with FakeDiscord(port=port) as fake:
        for spec in channels:
            guild, channel, *name = spec.split(":")
            fake.add_channel(int(guild), int(channel), name[0] if name else None)
        print(json.dumps({"api_base": fake.api_base, "gateway_url": fake.gateway_url}), flush=True)
        await asyncio.Event().wait()  # until interrupted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--channel", action="append", default=[], help="GUILD:CHANNEL[:NAME]")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    try:
        asyncio.run(_serve(args.port, args.channel))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
