"""Serve one vendor simulator on 127.0.0.1 for an end-to-end ``crew start`` against it.

    python -m reelcrew.simulators.vendors serve runway --port 8801 --key sim-key [--rate 0.03 --seed 7]
    RUNWAY_API_BASE=http://127.0.0.1:8801 RUNWAYML_API_SECRET=sim-key crew start --yes

Kling takes ``--key ACCESS:SECRET``. Latencies are compressed (``--latency`` seconds per render).
"""

from __future__ import annotations

import argparse
import sys

from reelcrew.simulators.vendors import SIMULATORS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reelcrew.simulators.vendors")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve one simulator over HTTP on 127.0.0.1")
    serve.add_argument("vendor", choices=sorted(SIMULATORS))
    serve.add_argument("--port", type=int, default=8801)
    serve.add_argument("--key", default="sim-key", help="the API key it accepts (kling: ACCESS:SECRET)")
    serve.add_argument("--seed", type=int, default=0)
    serve.add_argument("--rate", type=float, default=0.0, help="per-call fault rate, 0..1")
    serve.add_argument("--latency", type=float, default=2.0, help="seconds a render takes")
    args = parser.parse_args(argv)
    try:
        import uvicorn
    except ImportError:
        print("uvicorn is not installed: pip install uvicorn", file=sys.stderr)
        return 2
    common = {"seed": args.seed, "rate": args.rate, "latency_s": args.latency}
    if args.vendor == "kling":
        access, _, secret = args.key.partition(":")
        if not secret:
            print("kling needs --key ACCESS:SECRET", file=sys.stderr)
            return 2
        app = SIMULATORS["kling"](access_key=access, secret_key=secret, **common)
    else:
        app = SIMULATORS[args.vendor](api_key=args.key, **common)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
