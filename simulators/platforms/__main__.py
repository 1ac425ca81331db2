"""Serve a platform simulator on 127.0.0.1: ``python -m reelcrew.simulators.platforms serve youtube --port 8811``.

Point the adapters at it with e.g. YOUTUBE_API_BASE=YOUTUBE_UPLOAD_BASE=YOUTUBE_ANALYTICS_BASE=http://127.0.0.1:8811
and YOUTUBE_OAUTH_TOKEN_URL=http://127.0.0.1:8811/token; the simulators accept the credentials they print.
The same apps answer the analytics pull (YouTube reports.query, TikTok /v2/video/query/, Instagram insights).
Faults come from CREW_FAULTS ("seed=7,rate=0.03").

Instagram pulls the video from a public URL, so ``serve instagram`` really fetches each
container's ``video_url`` (``--no-fetch`` only records it). Serve a folder and point the
publisher at it, exactly as you would with a real web server or bucket:

    python -m http.server 8820 --bind 127.0.0.1 --directory /tmp/ig-videos &
    INSTAGRAM_VIDEO_DIR=/tmp/ig-videos INSTAGRAM_VIDEO_BASE_URL=http://127.0.0.1:8820 crew start --yes

(With real Instagram the base URL must be reachable from the internet, e.g. a bucket or CDN
that INSTAGRAM_VIDEO_DIR is synced to.) TikTok and Instagram have no scheduled publishing
in their APIs: a post planned for a later window is held and sent by ``crew publish-due``.
"""

from __future__ import annotations

import argparse
import os
import sys

from reelcrew.simulators.platforms import SIMULATORS, Faults


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reelcrew.simulators.platforms")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve one simulator on 127.0.0.1")
    serve.add_argument("platform", choices=sorted(SIMULATORS))
    serve.add_argument("--port", type=int, default=8811)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--no-fetch", action="store_true",
                       help="instagram: record video_url without fetching it (default: fetch it like Instagram does)")
    serve.add_argument("--no-stats", action="store_true",
                       help="analytics: answer no figures until given some (default: every uploaded video gets "
                            "made-up figures fixed by its id, so `crew feedback --pull` and `crew report` show some)")
    args = parser.parse_args(argv)
    import uvicorn

    options = {}
    if args.platform == "instagram" and not args.no_fetch:
        from reelcrew.simulators.platforms.instagram import fetch_video_url

        options["fetch"] = fetch_video_url
    if not args.no_stats:
        options["auto_stats"] = True
    app = SIMULATORS[args.platform](faults=Faults.from_env(os.environ.get("CREW_FAULTS")), **options)
    creds = {k: v for k, v in vars(app).items() if k in ("client_id", "client_secret", "refresh_token", "access_token",
                                                          "client_key", "user_id")}
    print(f"{args.platform} simulator on http://{args.host}:{args.port}; test credentials: {creds}", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
