"""The pipeline's steps: pure functions from frames to frames, one module per step
(clean → profile → segment → churn/backtest/cross/crosssell → strategy/automation →
closed_loop). No file I/O here: notebooks read and write through analysis.catalog."""
