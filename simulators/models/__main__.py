"""Serve a model simulator on 127.0.0.1 so a user can drive the crew through it.

    python -m reelcrew.simulators.models serve openai --port 8811 [--quirks text_instead_of_tool=2,rate_limit=1]
    CREW_BRAIN='openai-compatible:http://127.0.0.1:8811/v1:any-model?tools=1' crew start --yes

    python -m reelcrew.simulators.models serve anthropic --port 8812 --key sim-key
    ANTHROPIC_BASE_URL=http://127.0.0.1:8812 ANTHROPIC_API_KEY=sim-key CREW_BRAIN=anthropic:claude-haiku-4-5 crew start --yes
"""

from __future__ import annotations

import argparse
import sys

from reelcrew.simulators.models import QUIRKS, SIMULATORS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reelcrew.simulators.models")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve one model protocol over HTTP on 127.0.0.1")
    serve.add_argument("protocol", choices=sorted(SIMULATORS))
    serve.add_argument("--port", type=int, default=8811)
    serve.add_argument("--key", default=None, help="the only API key accepted (default: any non-empty key)")
    serve.add_argument("--quirks", default="", help=f"name=count,... from: {', '.join(QUIRKS)} (-1: always)")
    args = parser.parse_args(argv)
    try:
        app = SIMULATORS[args.protocol](key=args.key, quirks=args.quirks)
    except ValueError as exc:
        print(f"--quirks: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="off")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
