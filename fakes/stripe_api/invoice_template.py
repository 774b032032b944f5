"""The hosted invoice page's Jinja template: lines, subtotal, tax per rate, total, the
customer's address and VAT number, the reverse charge note and "Confirm payment"."""

INVOICE = """{% extends "base.html" %}
{% block title %}Invoice {{ invoice.number }}{% endblock %}
{% block content %}{% set cur = invoice.currency %}
<div class="card">
  <p class="muted">Invoice {{ invoice.number }} &middot; {{ invoice.created | date }}</p>
  <h1>{{ invoice.total | money(cur) }}
      <span class="badge {{ invoice.status }}">{{ invoice.status }}</span></h1>
  {% if invoice.status_transitions.paid_at %}
    <p>Paid on {{ invoice.status_transitions.paid_at | date }}.</p>
  {% elif processing %}
    <p>Your bank payment is processing.</p>
  {% elif invoice.next_payment_attempt %}
    <p>Next payment attempt on {{ invoice.next_payment_attempt | date }}.</p>
  {% endif %}
  {% if confirm %}
  <form method="post" action="/invoices/{{ invoice.id }}/pay">
    <p>Your bank asks you to confirm this payment.</p>
    <button id="confirm-payment" type="submit">Confirm payment</button>
  </form>
  {% endif %}
  {% if invoice.customer_name or invoice.customer_address or invoice.customer_tax_ids %}
  <p><strong>Billed to</strong><br>
    {% if invoice.customer_name %}{{ invoice.customer_name }}<br>{% endif %}
    {% set address = invoice.customer_address %}
    {% if address %}
      {% if address.line1 %}{{ address.line1 }}<br>{% endif %}
      {% if address.line2 %}{{ address.line2 }}<br>{% endif %}
      {{ address.postal_code or "" }} {{ address.city or "" }}<br>{{ address.country or "" }}<br>
    {% endif %}
    {% for tax_id in invoice.customer_tax_ids %}VAT number: {{ tax_id.value }}<br>{% endfor %}
  </p>
  {% endif %}
  <table>
    {% for line in invoice.lines.data %}
    <tr>
      <td>{{ line.description }}<br>
        <span class="muted">
          {{ line.period.start | date }} &ndash; {{ line.period.end | date }}
        </span>
      </td>
      <td>{{ line.amount | money(line.currency) }}</td>
    </tr>
    {% endfor %}
    {% set discount = invoice.total_discount_amounts | sum(attribute="amount") %}
    {% if tax_rows or discount %}
    <tr><td>Subtotal</td><td>{{ invoice.subtotal | money(cur) }}</td></tr>
    {% if discount %}<tr><td>Discount</td><td>{{ (0 - discount) | money(cur) }}</td></tr>{% endif %}
    {% for label, amount in tax_rows %}
    <tr><td>{{ label }}</td><td>{{ amount | money(cur) }}</td></tr>
    {% endfor %}
    {% endif %}
    <tr><th>Total</th><th>{{ invoice.total | money(cur) }}</th></tr>
  </table>
  {% if reverse_charge or invoice.footer %}<p class="muted">{{ invoice.footer }}</p>{% endif %}
  {% if invoice.invoice_pdf %}<p><a href="{{ invoice.invoice_pdf }}">Download PDF</a></p>{% endif %}
</div>
{% endblock %}
"""
