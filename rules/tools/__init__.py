"""Tools for technicians around the pure engine: check, simulate, backtest and diff rule files."""
