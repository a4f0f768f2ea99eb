"""What makes a delivery acceptable: a valid, recent Stripe signature over a well-formed event (I13, W4).

The signature rule is the pinned SDK's (`stripe.WebhookSignature.verify_header`: any `v1` HMAC-SHA256
matches, timestamp within 300 s), the check `stripe.Webhook.construct_event` runs first; the body is then
parsed once with orjson and checked strictly by `spool.check_event` (full-match id, type and account).
"""

from __future__ import annotations

from typing import Any

import orjson
import stripe  # imported with the app, not by the first request (~0.15 s)

from ingestion.stripe.spool import NotAnEvent, check_event

TOLERANCE_SECONDS = 300


class Rejected(Exception):
    """A request answered 400; `str()` is the reason sent back and logged. `kind` names it for counts."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.kind = kind


def verify(
    body: bytes, signature: str | None, secret: str, tolerance: int = TOLERANCE_SECONDS
) -> tuple[dict[str, Any], str, str, int]:
    """`(event, id, type, created)` if `body` carries a valid, recent `Stripe-Signature` and is an event;
    else `Rejected`. The signature is checked before the body is parsed."""
    if not signature:
        raise Rejected("missing Stripe-Signature header", "signature")
    try:
        stripe.WebhookSignature.verify_header(body, signature, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        message = str(getattr(exc, "user_message", None) or exc)
        if "tolerance" in message:
            raise Rejected(f"stale timestamp (older than the {tolerance} s tolerance)", "stale") from None
        raise Rejected("invalid signature", "signature") from None
    except UnicodeDecodeError:
        raise Rejected("malformed JSON (the body is not UTF-8)", "malformed") from None
    try:
        event = orjson.loads(body)
        event_id, event_type, created = check_event(event)
    except orjson.JSONDecodeError:
        raise Rejected("malformed JSON", "malformed") from None
    except NotAnEvent as exc:
        raise Rejected(f"not an event: {exc}", "not_an_event") from None
    return event, event_id, event_type, created
