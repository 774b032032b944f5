"""Who may open what in the portal: the role matrix, written once.

Every portal endpoint is listed with the roles that may open it (GET and POST alike). The
site's content (pages, blog, media, products) and look are for every member, and so are the dashboard,
the list of the team, the custom domain's DNS records and the contact form's inbox. The
account is for owners and admins: billing (plan, invoices, the billing portal, subscribing
again), the export of all data, API keys, every change to the team or the custom domain, and
deleting or exporting the contact form's messages.

``context.load_tenant`` enforces it before any view runs. An endpoint missing here is refused
to everyone, so a new route is closed until it is added (and tests/portal/test_roles.py fails).
"""

from __future__ import annotations

from db.models.tenants import ROLES, Role

EVERYONE = frozenset(ROLES)
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})

_EVERYONE = {
    "portal.dashboard",
    "portal.pages", "portal.new_page", "portal.edit_page", "portal.preview_page",
    "portal.publish_page", "portal.unpublish_page", "portal.delete_page",
    "portal.add_block", "portal.edit_block", "portal.move_block", "portal.delete_block",
    "portal.posts", "portal.new_post", "portal.edit_post", "portal.delete_post",
    "portal.media", "portal.upload_media", "portal.media_file", "portal.delete_media",
    "portal.products", "portal.new_product", "portal.edit_product", "portal.delete_product",
    "portal.team",  # who is on the team; changing it is for managers (below)
    "portal.domain",  # the domains, their state and DNS records; changing them is for managers
    "portal.inbox", "portal.inbox_message", "portal.mark_message_handled",  # the contact form's
    "portal.save_notifications",  # one's own mails for new messages, never someone else's
    "portal.profile", "portal.save_profile",  # one's own language, never someone else's
    "portal.theme", "portal.save_theme", "portal.reset_theme", "portal.theme_preview_css",
    "portal.languages",  # the site's languages; changing them is for managers
    "portal.translations", "portal.translate_page", "portal.translate_post",
    "portal.translate_product",
    "portal.orders_list", "portal.order", "portal.export_orders", "portal.ship_order",
    "portal.assistant", "portal.propose",  # the AI writing assistant: it only proposes
}
_MANAGERS = {
    "portal.billing", "portal.billing_portal", "portal.resubscribe", "portal.export",
    "portal.plan", "portal.change_plan", "portal.keep_plan",  # plan changes, with a preview
    "portal.cancel", "portal.confirm_cancel", "portal.accept_offer", "portal.undo_cancel",
    "portal.invite_member", "portal.revoke_invite", "portal.change_role", "portal.remove_member",
    "portal.api_keys", "portal.create_api_key", "portal.revoke_api_key",
    "portal.add_domain", "portal.check_domain", "portal.set_primary_domain",
    "portal.remove_domain",
    "portal.delete_message", "portal.export_inbox",  # gone for good; every address at once
    "portal.settings",  # the site's time zone
    "portal.save_languages",  # the site's languages and default (plan feature multi_language)
    # The shop's Stripe account and shipping; money back to buyers.
    "portal.shop", "portal.connect_shop", "portal.shop_onboarding", "portal.shop_connected",
    "portal.disconnect_shop", "portal.save_shipping", "portal.refund_order", "portal.cancel_order",
}

PORTAL_ROLES: dict[str, frozenset[str]] = {
    **{endpoint: EVERYONE for endpoint in _EVERYONE},
    **{endpoint: MANAGERS for endpoint in _MANAGERS},
}

REFUSED_MESSAGE = "Only owners and admins can do this. Ask one of them if you need it."


def may_open(role: str, endpoint: str | None) -> bool:
    """Whether a member with ``role`` may open ``endpoint`` (unknown endpoints: nobody)."""
    return role in PORTAL_ROLES.get(endpoint or "", frozenset())
