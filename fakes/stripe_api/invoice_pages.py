"""The hosted invoice page (with "Confirm payment" for a charge awaiting authentication)
and the invoice PDF, both showing the tax per rate, the customer's address and VAT number.
"""

from typing import Any

from flask import Blueprint, Response, redirect, render_template

from .billing_objects import format_amount
from .errors import StripeError
from .pages import date, message
from .pdf import text_pdf
from .pending_payments import pay_with_authentication
from .state import atomic, fake
from .tax import REVERSE_CHARGE_NOTE

invoice_pages = Blueprint("invoice_pages", __name__)


def _invoice(invoice_id: str) -> dict[str, Any] | None:
    invoice = fake().store.get("invoice", invoice_id)
    return None if invoice is None or invoice["status"] == "draft" else invoice


def tax_rows(invoice: dict[str, Any]) -> list[tuple[str, int]]:
    """``("VAT 21%", 609)`` per rate; ``"VAT 0% (reverse charge)"`` for a reverse charge."""
    rows = []
    for entry in invoice["total_taxes"]:
        rate = fake().store.require("tax_rate", entry["tax_rate_details"]["tax_rate"])
        label = f"{rate['display_name']} {rate['percentage']:g}%"
        if entry["taxability_reason"] == "reverse_charge":
            label += " (reverse charge)"
        elif entry["taxability_reason"] == "not_collecting":
            label += " (not collected)"
        if rate["inclusive"]:
            label += " (included)"
        rows.append((label, entry["amount"]))
    return rows


def _page(invoice: dict[str, Any], error: str | None = None, status: int = 200) -> Any:
    billing = fake().billing()
    page = render_template(
        "invoice.html",
        invoice=invoice,
        tax_rows=tax_rows(invoice),
        reverse_charge=invoice["footer"] == REVERSE_CHARGE_NOTE,
        confirm=billing.requires_action(invoice),
        processing=invoice["status"] == "open" and billing.processing(invoice),
        error=error,
    )
    return page, status


@invoice_pages.get("/invoices/<invoice_id>")
@atomic
def hosted_invoice(invoice_id: str) -> Any:
    invoice = _invoice(invoice_id)
    if invoice is None:
        return message("Not found", "This invoice link is not valid.", 404)
    return _page(invoice)


@invoice_pages.post("/invoices/<invoice_id>/pay")
@atomic
def confirm_payment(invoice_id: str) -> Any:
    """The customer authenticates the waiting card payment (test card ...3184) and pays."""
    invoice = _invoice(invoice_id)
    if invoice is None:
        return message("Not found", "This invoice link is not valid.", 404)
    try:
        pay_with_authentication(fake().billing(), invoice, fake().store.now())
    except StripeError as error:
        return _page(invoice, error.message, error.status)
    return redirect(f"/invoices/{invoice_id}", 303)


@invoice_pages.get("/invoices/<invoice_id>/pdf")
@atomic
def invoice_pdf(invoice_id: str) -> Any:
    invoice = _invoice(invoice_id)
    if invoice is None:
        return message("Not found", "This invoice link is not valid.", 404)
    currency = invoice["currency"]
    lines = [
        f"Invoice {invoice['number']}",
        f"Date: {date(invoice['created'])}    Status: {invoice['status']}",
        f"From: {invoice['account_name']} ({invoice['account_country']})",
        f"Billed to: {invoice['customer_name'] or invoice['customer_email'] or invoice['customer']}",
        *_address_lines(invoice),
        "",
        *(
            f"{line['description']}    {format_amount(line['amount'], currency)}"
            for line in invoice["lines"]["data"]
        ),
        "",
    ]
    discount = sum(entry["amount"] for entry in invoice["total_discount_amounts"])
    if invoice["total_taxes"] or discount:
        lines.append(f"Subtotal: {format_amount(invoice['subtotal'], currency)}")
    if discount:
        lines.append(f"Discount: {format_amount(-discount, currency)}")
    lines += [f"{label}: {format_amount(amount, currency)}" for label, amount in tax_rows(invoice)]
    lines.append(f"Total: {format_amount(invoice['total'], currency)}")
    if invoice["footer"]:
        lines += ["", invoice["footer"]]
    response = Response(text_pdf(lines), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{invoice["number"]}.pdf"'
    return response


def _address_lines(invoice: dict[str, Any]) -> list[str]:
    address = invoice["customer_address"] or {}
    place = " ".join(filter(None, [address.get("postal_code"), address.get("city")]))
    lines = [address.get("line1"), address.get("line2"), place, address.get("country")]
    lines += [f"VAT number: {tax_id['value']}" for tax_id in invoice["customer_tax_ids"]]
    return [line for line in lines if line]
