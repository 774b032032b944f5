"""The words of an order's summary in the mails of a webshop order (templates/_base/order.*),
marked here because the extractor skips ``_base``. Buyers read them in any language a site
speaks, so they have German and French too (tests/test_translations.py)."""

from db.messages import N_

ORDER_WORDS = {
    "order_goods": N_("Products"),
    "order_shipping": N_("Shipping"),
    "order_total": N_("Total"),
    "order_vat": N_("Including %(rate)s%% VAT"),
}
