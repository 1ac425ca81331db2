"""Local simulators of each vendor's and platform's real protocol, for tests and benchmarks."""
