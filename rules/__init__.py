"""Pure rule engine: state and time in, decisions out; the rule language and its problems in words. No I/O: the
edge, the simulation and the backtest feed it readings and time."""
