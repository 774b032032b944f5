"""The hosted Checkout page's Jinja template.

Stable ids for browser tests: radios ``method-<type>`` (name ``payment_method``), ``card``,
``ideal_bank``, ``outcome``, ``iban``, ``name``, ``email``, ``line1``, ``line2``,
``postal_code``, ``city``, ``country``, ``business``, ``business_name``, ``tax_id``,
``promotion_code`` (when the session allows promotion codes); radio ``method-none`` when a
trial may start without a payment method.
"""

CHECKOUT = """{% extends "base.html" %}{% from "price.html" import price_text %}
{% block title %}Checkout{% endblock %}
{% block content %}{% set auto_tax = session.automatic_tax.enabled %}
{% set methods = session.payment_method_types + (["none"] if allow_none else []) %}
<div class="card">
  {% if cancel_url %}<p><a href="{{ cancel_url }}">&larr; Back</a></p>{% endif %}
  {% for line in lines %}
    <h1>Subscribe to {{ line.product.name }}</h1>
    {% if line.product.description %}<p class="muted">{{ line.product.description }}</p>{% endif %}
    {% if trial_days %}<p><strong>{{ trial_days }} days free</strong></p>{% endif %}
    <p class="amount">{{ price_text(line.price) }}</p>
    {% if auto_tax %}<p class="muted">{% if line.price.tax_behavior == "inclusive" %}incl. VAT
      {%- else %}plus VAT{% endif %}</p>{% endif %}
    {% if line.quantity > 1 %}<p class="muted">Quantity: {{ line.quantity }}</p>{% endif %}
  {% endfor %}
  {% if lines | length > 1 %}
    <p>Total due today: <strong>{{ session.amount_total | money(session.currency) }}</strong></p>
  {% endif %}
</div>
<form class="card" method="post">
  {% if methods == ["card"] %}<h2>Pay with card</h2>{% else %}<h2>Payment method</h2>{% endif %}
  {% if ask_email %}
    <label for="email">Email</label>
    <input id="email" name="email" type="email" autocomplete="email" value="{{ form.email }}"
           required>
  {% endif %}
  {% set chosen = form.payment_method or methods[0] %}
  {% for method in methods %}
  <fieldset>
    {% if methods | length > 1 %}
    <legend><input type="radio" name="payment_method" id="method-{{ method }}" value="{{ method }}"
      {% if method == chosen %}checked{% endif %} style="width:auto">
      <label for="method-{{ method }}" style="display:inline">{{ method_names[method] }}</label></legend>
    {% else %}<input type="hidden" name="payment_method" value="{{ method }}">{% endif %}
    {% if method == "card" %}
      <label for="card">Card number</label>
      <input id="card" name="card" inputmode="numeric" autocomplete="cc-number"
             placeholder="4242 4242 4242 4242" value="{{ form.card }}"
             {% if methods == ["card"] %}required{% endif %}>
      <p class="muted">Test cards: 4242 4242 4242 4242 succeeds, 4000 0027 6000 3184 asks for
        authentication, 4000 0000 0000 0341 is declined.</p>
    {% elif method == "none" %}
      <p class="muted">No payment method is needed to start the trial.</p>
    {% elif method == "ideal" %}
      <label for="ideal_bank">Bank</label>
      <select id="ideal_bank" name="ideal_bank">
        {% for bank in banks %}<option value="{{ bank }}" {% if form.ideal_bank == bank %}selected{% endif %}>
          {{ bank | replace("_", " ") | title }}</option>{% endfor %}
      </select>
    {% elif method == "sepa_debit" %}
      <label for="iban">IBAN</label>
      <input id="iban" name="iban" placeholder="NL39 RABO 0300 0652 64" value="{{ form.iban }}">
      <p class="muted">By providing your IBAN and confirming this payment, you authorise Local
        Stripe and Stripe, our payment service provider, to send instructions to your bank to
        debit your account and your bank to debit your account in accordance with those
        instructions. You are entitled to a refund from your bank under the terms and conditions
        of your agreement with your bank. A refund must be claimed within 8 weeks starting from
        the date on which your account was debited.</p>
      <p class="muted">Test IBANs: NL39 RABO 0300 0652 64 is paid, NL91 ABNA 0417 1643 00 fails
        (after the settlement days).</p>
    {% endif %}
  </fieldset>
  {% endfor %}
  {% if "ideal" in methods or "bancontact" in methods %}
    <label for="outcome">Test bank's answer (iDEAL, Bancontact)</label>
    <select id="outcome" name="outcome">
      <option value="authorize">Authorize test payment</option>
      <option value="fail" {% if form.outcome == "fail" %}selected{% endif %}>Fail test payment</option>
    </select>
  {% endif %}
  {% if ask_address or "sepa_debit" in methods %}
    <label for="name">{% if ask_address %}Name{% else %}Account holder{% endif %}</label>
    <input id="name" name="name" autocomplete="name" value="{{ form.name }}"
           {% if ask_address %}required{% endif %}>
  {% endif %}
  {% if ask_address %}
    <h2>Billing address</h2>
    <label for="line1">Address</label>
    <input id="line1" name="line1" autocomplete="address-line1" value="{{ form.line1 }}" required>
    <label for="line2">Address line 2</label>
    <input id="line2" name="line2" autocomplete="address-line2" value="{{ form.line2 }}">
    <label for="postal_code">Postal code</label>
    <input id="postal_code" name="postal_code" autocomplete="postal-code"
           value="{{ form.postal_code }}" required>
    <label for="city">City</label>
    <input id="city" name="city" autocomplete="address-level2" value="{{ form.city }}" required>
    <label for="country">Country</label>
    <select id="country" name="country" required>
      {% for code, country_name in countries %}
      <option value="{{ code }}" {% if (form.country or "NL") == code %}selected{% endif %}>
        {{ country_name }}</option>{% endfor %}
    </select>
  {% endif %}
  {% if session.tax_id_collection.enabled %}
    <label for="business" style="font-weight:400"><input type="checkbox" id="business"
      name="business" value="on" style="width:auto" {% if form.business %}checked{% endif %}>
      I'm purchasing as a business</label>
    <label for="business_name">Business name</label>
    <input id="business_name" name="business_name" value="{{ form.business_name }}">
    <label for="tax_id">VAT number</label>
    <input id="tax_id" name="tax_id" placeholder="NL123456789B01" value="{{ form.tax_id }}">
  {% endif %}
  {% if session.allow_promotion_codes %}
    <label for="promotion_code">Promotion code</label>
    <input id="promotion_code" name="promotion_code" value="{{ form.promotion_code }}"
           autocomplete="off">
  {% endif %}
  <button class="wide" type="submit">Subscribe</button>
</form>
{% endblock %}
"""
