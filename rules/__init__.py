"""Pure rule engine: state and time in, decisions out; plus the rule language."""
