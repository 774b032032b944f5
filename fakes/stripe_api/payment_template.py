"""The hosted Checkout page of a ``payment``-mode session (Jinja template).

Stable ids for browser tests: shipping radios ``shipping_rate-<shr id>`` (name
``shipping_rate``), ``name``, ``line1``, ``postal_code``, ``city``, ``country`` (when a
shipping address is collected), ``email``, payment method radios ``method-<type>`` (name
``payment_method``), ``card``, ``ideal_bank``, ``outcome``; the submit button reads "Pay".
"""

PAYMENT_CHECKOUT = """{% extends "base.html" %}
{% block title %}Pay {{ shop }}{% endblock %}
{% block content %}{% set currency = session.currency %}
<div class="card">
  {% if session.cancel_url %}
    <p><a href="{{ session.cancel_url }}">&larr; Cancel and return to {{ shop }}</a></p>
  {% endif %}
  <h1>{{ shop }}</h1>
  <table>
    <thead><tr><th>Item</th><th>Quantity</th><th>Amount</th></tr></thead>
    <tbody>
    {% for item in items %}
      <tr><td>{{ item.description }}</td><td>{{ item.quantity }}</td>
          <td>{{ item.amount_subtotal | money(currency) }}</td></tr>
    {% endfor %}
      <tr><th colspan="2">Subtotal</th><td>{{ session.amount_subtotal | money(currency) }}</td></tr>
    {% for entry in taxes %}
      <tr><td colspan="2">{{ entry.rate.display_name }} {{ entry.rate.percentage }}%
          {%- if entry.rate.inclusive %} (included){% endif %}</td>
          <td>{{ entry.amount | money(currency) }}</td></tr>
    {% endfor %}
    {% if options %}
      <tr><th colspan="2">Total before shipping</th><td>{{ before_shipping | money(currency) }}</td></tr>
    {% else %}
      <tr><th colspan="2">Total</th><td>{{ session.amount_total | money(currency) }}</td></tr>
    {% endif %}
    </tbody>
  </table>
</div>
<form class="card" method="post">
  {% if options %}
  <fieldset>
    <legend>Shipping</legend>
    {% set chosen = form.shipping_rate or options[0][1].id %}
    {% for option, rate in options %}
    <div><input type="radio" name="shipping_rate" id="shipping_rate-{{ rate.id }}" value="{{ rate.id }}"
                {% if rate.id == chosen %}checked{% endif %} style="width:auto">
      <label for="shipping_rate-{{ rate.id }}" style="display:inline">{{ rate.display_name }}:
        {{ option.shipping_amount | money(currency) }}
        (total {{ (before_shipping + option.shipping_amount) | money(currency) }})</label></div>
    {% endfor %}
  </fieldset>
  {% endif %}
  {% if session.shipping_address_collection %}
    <h2>Shipping address</h2>
    <label for="name">Full name</label>
    <input id="name" name="name" autocomplete="name" value="{{ form.name }}" required>
    <label for="line1">Address</label>
    <input id="line1" name="line1" autocomplete="address-line1" value="{{ form.line1 }}" required>
    <label for="postal_code">Postal code</label>
    <input id="postal_code" name="postal_code" autocomplete="postal-code" value="{{ form.postal_code }}"
           required>
    <label for="city">City</label>
    <input id="city" name="city" autocomplete="address-level2" value="{{ form.city }}" required>
    <label for="country">Country</label>
    <select id="country" name="country" required>
      {% set country_codes = countries | map(attribute=0) | list %}
      {% set picked = form.country or ("NL" if "NL" in country_codes else country_codes[0]) %}
      {% for code, country_name in countries %}
      <option value="{{ code }}" {% if picked == code %}selected{% endif %}>{{ country_name }}</option>
      {% endfor %}
    </select>
  {% endif %}
  <h2>Contact</h2>
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email"
         value="{{ form.email or session.customer_email or '' }}" required>
  <h2>Payment method</h2>
  {% set methods = session.payment_method_types %}
  {% set method_chosen = form.payment_method or methods[0] %}
  {% for method in methods %}
  <fieldset>
    <legend><input type="radio" name="payment_method" id="method-{{ method }}" value="{{ method }}"
      {% if method == method_chosen %}checked{% endif %} style="width:auto">
      <label for="method-{{ method }}" style="display:inline">{{ method_names[method] }}</label></legend>
    {% if method == "card" %}
      <label for="card">Card number</label>
      <input id="card" name="card" inputmode="numeric" autocomplete="cc-number"
             placeholder="4242 4242 4242 4242" value="{{ form.card }}">
      <p class="muted">Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.</p>
    {% elif method == "ideal" %}
      <label for="ideal_bank">Bank</label>
      <select id="ideal_bank" name="ideal_bank">
        {% for bank in banks %}<option value="{{ bank }}" {% if form.ideal_bank == bank %}selected{% endif %}>
          {{ bank | replace("_", " ") | title }}</option>{% endfor %}
      </select>
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
  <button class="wide" type="submit">Pay</button>
</form>
{% endblock %}
"""
