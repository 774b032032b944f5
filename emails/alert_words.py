"""The alert rules' names as staff read them (``monitoring.alert_rules``): in the staff alert
mail and the back office's incident list, translated where they are shown."""

from db.messages import N_

RULE_TITLES = {
    "site_down": N_("A tenant site is down"),
    "site_slow": N_("A tenant site is slow"),
    "uptime_low": N_("A tenant site's uptime is low"),
    "domain_lost": N_("A custom domain lost its DNS records"),
    "provisioning_failed": N_("Provisioning failed"),
    "provisioning_stuck": N_("Provisioning is stuck"),
    "stripe_events_failing": N_("Stripe events are failing"),
    "stripe_events_backlog": N_("Stripe events are piling up"),
    "queue_backlog": N_("A queue is backing up"),
    "workers_missing": N_("A queue has no worker"),
    "mail_failing": N_("Outgoing mail is failing"),
    "payment_failures_surge": N_("A surge of failed payments"),
}


def rule_title(rule: str) -> str:
    """The rule's English title (its msgid), or the rule's own name for one not listed."""
    return RULE_TITLES.get(rule, rule)
