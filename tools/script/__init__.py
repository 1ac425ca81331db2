"""Layer 2: the Script model and the checks a script must pass before the gate."""
