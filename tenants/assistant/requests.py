"""Each request counted against the plan's ``ai_requests`` this month, in the database: taken
under the tenant's lock before the provider is asked (two at once cannot both take the last
one), finished with the tokens the provider reported, or marked failed and not counted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import AssistantRequest, Tenant
from db.models.assistant import AssistantAction, RequestStatus
from plans.catalog import Catalog
from plans.entitlements import month_start, require_feature, reserve
from tenants.assistant.provider import Answer


def begin(session: Session, catalog: Catalog, tenant: Tenant, user_id: int | None,
          action: AssistantAction, model: str) -> AssistantRequest:
    """The request, counted (flushed; the caller commits before asking the provider).
    ``FeatureNotInPlan`` or ``LimitReached`` when it may not be made."""
    require_feature(catalog, tenant, "ai")
    reserve(session, catalog, tenant, "ai_requests")
    request = AssistantRequest(tenant_id=tenant.id, user_id=user_id, action=action, model=model)
    session.add(request)
    session.flush()
    return request


def finish(session: Session, request: AssistantRequest, answer: Answer) -> None:
    request.status, request.finished_at = RequestStatus.DONE, utcnow()
    request.prompt_tokens, request.completion_tokens = answer.prompt_tokens, answer.completion_tokens


def fail(session: Session, request: AssistantRequest, reason: str, answer: Answer) -> None:
    """Not counted against the month; the tokens the provider may still bill are kept."""
    request.status, request.finished_at, request.error = RequestStatus.FAILED, utcnow(), reason[:300]
    request.prompt_tokens, request.completion_tokens = answer.prompt_tokens, answer.completion_tokens


@dataclass(frozen=True)
class MonthCost:
    """A tenant's requests this month (failed ones included: the provider may bill them) and
    the tokens they used, for staff."""

    requests: int
    prompt_tokens: int
    completion_tokens: int


def month_cost(session: Session, tenant_id: int) -> MonthCost:
    row = session.execute(select(func.count(), func.coalesce(func.sum(AssistantRequest.prompt_tokens), 0),
                                 func.coalesce(func.sum(AssistantRequest.completion_tokens), 0))
                          .where(AssistantRequest.tenant_id == tenant_id,
                                 AssistantRequest.created_at >= month_start())).one()
    return MonthCost(*row)
