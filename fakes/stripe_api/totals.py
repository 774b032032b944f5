"""An invoice's totals from its lines: subtotal, discounts, taxes, and the customer balance.

``subtotal`` sums the lines; ``total`` takes off the discounts and adds exclusive tax;
``amount_due`` also uses the customer's credit balance (negative ``balance``) and never
goes below zero: what a credit exceeds is left on the balance (``ending_balance``),
which :meth:`~.billing.Billing.issue` saves to the customer when the invoice finalizes.
"""

from typing import Any


def line_discount(line: dict[str, Any]) -> int:
    return sum(entry["amount"] for entry in line["discount_amounts"])


def set_totals(invoice: dict[str, Any], balance: int = 0) -> None:
    lines = invoice["lines"]["data"]
    subtotal = sum(line["amount"] for line in lines)
    discount = sum(line_discount(line) for line in lines)
    exclusive = inclusive = 0
    for line in lines:
        for tax in line["taxes"]:
            if tax["tax_behavior"] == "inclusive":
                inclusive += tax["amount"]
            else:
                exclusive += tax["amount"]
    total = subtotal - discount + exclusive
    amount_due = max(0, total + balance)
    invoice.update(
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal - inclusive,
        total_excluding_tax=subtotal - discount - inclusive,
        total=total,
        amount_due=amount_due,
        amount_remaining=amount_due,
        starting_balance=balance,
        ending_balance=balance + total - amount_due if balance or total < 0 else None,
    )
