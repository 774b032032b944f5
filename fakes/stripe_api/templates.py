"""Inline Jinja templates of the hosted pages: Checkout, the billing portal, invoices,
Connect onboarding."""

from .checkout_template import CHECKOUT
from .connect_template import ONBOARDING
from .invoice_template import INVOICE
from .payment_template import PAYMENT_CHECKOUT

_BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}Local Stripe{% endblock %}</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; background: #f6f8fa; color: #1a1f36; margin: 0; }
  main { max-width: 560px; margin: 40px auto; padding: 0 16px; }
  .banner { background: #ffde92; color: #5c4100; text-align: center; font-size: 13px;
            padding: 4px; }
  .card { background: #fff; border-radius: 8px; box-shadow: 0 1px 3px #0002; padding: 24px;
          margin-bottom: 20px; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 0 0 12px; }
  .muted { color: #697386; font-size: 13px; }
  .amount { font-size: 30px; font-weight: 600; margin: 8px 0; }
  label { display: block; font-weight: 500; margin: 14px 0 4px; }
  input, select { width: 100%; box-sizing: border-box; padding: 10px; font-size: 15px;
                  border: 1px solid #c1c9d2; border-radius: 6px; }
  button { background: #635bff; color: #fff; border: 0; border-radius: 6px; padding: 11px 16px;
           font-size: 15px; font-weight: 600; cursor: pointer; margin-top: 14px; }
  button.secondary { background: #fff; color: #635bff; border: 1px solid #635bff; }
  .wide { width: 100%; }
  .error { background: #fde8e8; color: #a41c1c; padding: 10px 12px; border-radius: 6px; }
  .notice { background: #e3f8ea; color: #0f6b36; padding: 10px 12px; border-radius: 6px; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
           background: #e3e8ee; }
  .badge.active, .badge.paid { background: #d7f7c2; color: #05690d; }
  .badge.past_due, .badge.unpaid, .badge.open { background: #fde8e8; color: #a41c1c; }
  table { width: 100%; border-collapse: collapse; font-size: 14px; }
  td, th { text-align: left; padding: 6px 4px; border-bottom: 1px solid #e3e8ee; }
  a { color: #635bff; }
</style>
</head>
<body>
<div class="banner">TEST MODE · local Stripe</div>
<main>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
{% if notice %}<p class="notice" role="status">{{ notice }}</p>{% endif %}
{% block content %}{% endblock %}
</main>
</body>
</html>
"""

_PRICE = """{% macro price_text(price) -%}
{{ price.unit_amount | money(price.currency) }}
{%- if price.recurring %} per {% if price.recurring.interval_count > 1 -%}
{{ price.recurring.interval_count }} {{ price.recurring.interval }}s
{%- else %}{{ price.recurring.interval }}{% endif %}{% endif %}
{%- endmacro %}
"""

_MESSAGE = """{% extends "base.html" %}
{% block title %}{{ heading }}{% endblock %}
{% block content %}
<div class="card">
  <h1>{{ heading }}</h1>
  <p>{{ message }}</p>
  {% if link %}<p><a href="{{ link }}">Return to the site</a></p>{% endif %}
</div>
{% endblock %}
"""

_PORTAL = """{% extends "base.html" %}{% from "price.html" import price_text %}
{% block title %}Billing{% endblock %}
{% block content %}{% set here = url_for("pages.portal", session_id=portal.id) %}
<div class="card">
  {% if portal.return_url %}
    <p><a href="{{ portal.return_url }}">&larr; Return to site</a></p>
  {% endif %}
  <h1>Billing</h1>
  {% if business.headline %}<p>{{ business.headline }}</p>{% endif %}
  <p class="muted">{{ customer.email or customer.name or customer.id }}</p>
</div>
{% for sub in subscriptions %}
{% set item = sub["items"]["data"][0] %}
<div class="card">
  <h2>Current plan</h2>
  <p><strong>{{ products[item.price.product].name }}</strong>
     <span class="badge {{ sub.status }}">{{ sub.status | replace("_", " ") }}</span></p>
  <p class="amount">{{ price_text(item.price) }}</p>
  {% if sub.cancel_at_period_end %}
    <p>Your plan will be canceled on {{ item.current_period_end | date }}.</p>
    <form method="post" action="{{ here }}/resume">
      <input type="hidden" name="subscription" value="{{ sub.id }}">
      <button type="submit">Don't cancel</button>
    </form>
  {% else %}
    {% if sub.status in ("past_due", "unpaid") %}
      <p class="error">Your last payment failed. Update your card below to pay what is due.</p>
    {% endif %}
    <p>Renews on {{ item.current_period_end | date }}.</p>
    {% if plans and features.subscription_update.enabled %}
    <form method="post" action="{{ here }}/plan">
      <input type="hidden" name="subscription" value="{{ sub.id }}">
      <label for="price-{{ sub.id }}">Change plan</label>
      <select id="price-{{ sub.id }}" name="price">
        {% for price in plans if price.id != item.price.id %}
          <option value="{{ price.id }}">
            {{ products[price.product].name }} &middot; {{ price_text(price) }}
          </option>
        {% endfor %}
      </select>
      <button type="submit">Update plan</button>
    </form>
    {% endif %}
    {% set cancel = features.subscription_cancel %}
    {% if cancel.enabled %}
    <form method="post" action="{{ here }}/cancel">
      <input type="hidden" name="subscription" value="{{ sub.id }}">
      {% if cancel.cancellation_reason.enabled %}
        <label for="feedback-{{ sub.id }}">Why are you canceling?</label>
        <select id="feedback-{{ sub.id }}" name="feedback">
          <option value="">Choose a reason</option>
          {% for option in cancel.cancellation_reason.options %}
            <option value="{{ option }}">{{ reasons[option] }}</option>
          {% endfor %}
        </select>
      {% endif %}
      <button class="secondary" type="submit">
        {%- if cancel.mode == "immediately" %}Cancel plan now{% else %}Cancel plan{% endif %}</button>
    </form>
    {% endif %}
  {% endif %}
</div>
{% else %}
<div class="card"><p>You have no active subscription.</p></div>
{% endfor %}
{% if features.payment_method_update.enabled %}
<form class="card" method="post" action="{{ here }}/card">
  <h2>Payment method</h2>
  <label for="card">New card number</label>
  <input id="card" name="card" inputmode="numeric" placeholder="4242 4242 4242 4242" required>
  <button type="submit">Update card</button>
</form>
{% endif %}
{% if features.invoice_history.enabled %}
<div class="card">
  <h2>Invoice history</h2>
  <table>
    {% for invoice in invoices %}
    <tr><td>{{ invoice.created | date }}</td>
        <td>{{ invoice.total | money(invoice.currency) }}</td>
        <td><span class="badge {{ invoice.status }}">{{ invoice.status }}</span></td>
        <td><a href="{{ invoice.hosted_invoice_url }}">View</a></td></tr>
    {% else %}
    <tr><td class="muted">No invoices yet.</td></tr>
    {% endfor %}
  </table>
</div>
{% endif %}
{% if business.privacy_policy_url or business.terms_of_service_url %}
<p class="muted">
  {% if business.privacy_policy_url %}<a href="{{ business.privacy_policy_url }}">Privacy</a>{% endif %}
  {% if business.terms_of_service_url %}<a href="{{ business.terms_of_service_url }}">Terms</a>{% endif %}
</p>
{% endif %}
{% endblock %}
"""

TEMPLATES = {
    "base.html": _BASE,
    "price.html": _PRICE,
    "checkout.html": CHECKOUT,
    "message.html": _MESSAGE,
    "portal.html": _PORTAL,
    "invoice.html": INVOICE,
    "onboarding.html": ONBOARDING,
    "payment_checkout.html": PAYMENT_CHECKOUT,
}
