"""Where one page's server time goes: cProfile over warm requests of one page (SQLite).

    .venv/bin/python bench/pages/profile_page.py [--page "menu"] [--requests 200] [--sort tottime]

Seeds the same world as ``pages.py``, warms the page up, then profiles ``--requests`` requests
one after the other and prints the top of the profile (``--top`` lines).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats

from harness import client, database, fresh_app
from pages import seed


async def profile(name: str, requests: int, sort: str, top: int, backend: str) -> None:
    async with database(backend) as (url, blobs), fresh_app(url, blobs) as app:
        pages = [page for page in await seed(app) if page.name.startswith(name)]
        assert pages, f"no page named {name!r}"
        page = pages[0]
        async with client(app, page.cookies) as http:
            for _ in range(20):
                answer = await http.get(page.url)
                assert answer.status_code == 200, (answer.status_code, answer.text[:300])
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(requests):
                await http.get(page.url)
            profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(sort).print_stats(top)
        print(f"{page.name} ({page.url}), {requests} requests")
        print(out.getvalue())


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--page", default="menu")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()
    asyncio.run(profile(args.page, max(10, min(args.requests, 5000)), args.sort, args.top, args.backend))


if __name__ == "__main__":
    main()
