"""One module per rule kind: its model as written in the rule file, its remembered state, and its step."""
