"""Job entry points: importable functions that take ids, parse, call a rule, commit."""
