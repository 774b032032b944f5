"""Billing rules: the plan catalog, Stripe access and the billing state machine.

Nothing here knows about HTTP or rq: functions take a database session and plain values.
"""
