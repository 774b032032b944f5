"""The hosted Connect onboarding page's Jinja template (see :mod:`.connect_pages`).

Stable ids for browser tests: ``business_name``, ``iban``, ``outcome``; the submit button
reads "Agree and submit".
"""

ONBOARDING = """{% extends "base.html" %}
{% block title %}Set up payments for {{ platform }}{% endblock %}
{% block content %}
<div class="card">
  <h1>{{ platform }} partners with Stripe for secure payments</h1>
  <p class="muted">Account {{ account.id }}{% if account.email %} &middot; {{ account.email }}{% endif %}
    {% if link.type == "account_update" %} &middot; update your details{% endif %}</p>
</div>
<form class="card" method="post">
  <h2>Your business</h2>
  <label for="business_name">Business name</label>
  <input id="business_name" name="business_name" autocomplete="organization"
         value="{{ form.business_name }}" required>
  <h2 style="margin-top:20px">Payouts</h2>
  <label for="iban">IBAN of the bank account for payouts</label>
  <input id="iban" name="iban" autocomplete="off" value="{{ form.iban }}" required>
  <p class="muted">Test IBAN: NL39 RABO 0300 0652 64.</p>
  <label for="outcome">Test verification outcome</label>
  <select id="outcome" name="outcome">
    {% for value, text in outcomes.items() %}
    <option value="{{ value }}" {% if form.outcome == value %}selected{% endif %}>{{ text }}</option>
    {% endfor %}
  </select>
  <p class="muted">By submitting, you agree to the Stripe Connected Account Agreement.</p>
  <button class="wide" type="submit">Agree and submit</button>
</form>
{% endblock %}
"""
