"""Serve a platform simulator on 127.0.0.1: ``python -m reelcrew.simulators.platforms serve youtube --port 8811``.

Point the adapters at it with e.g. YOUTUBE_API_BASE=YOUTUBE_UPLOAD_BASE=http://127.0.0.1:8811 and
YOUTUBE_OAUTH_TOKEN_URL=http://127.0.0.1:8811/token; the simulators accept the credentials they print.
Faults come from CREW_FAULTS ("seed=7,rate=0.03").
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
    args = parser.parse_args(argv)
    import uvicorn

    app = SIMULATORS[args.platform](faults=Faults.from_env(os.environ.get("CREW_FAULTS")))
    creds = {k: v for k, v in vars(app).items() if k in ("client_id", "client_secret", "refresh_token", "access_token",
                                                          "client_key", "user_id")}
    print(f"{args.platform} simulator on http://{args.host}:{args.port}; test credentials: {creds}", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
