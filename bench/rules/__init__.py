"""Benchmark of the rule engine in a backtest: a season of one greenhouse replayed through 30 rules."""
