"""The deterministic synthetic sample generator (``python -m analysis synth``)."""
