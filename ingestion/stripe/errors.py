"""Stripe's refusals as exceptions whose message tells the user what to do: 401, 403, 4xx, retries exhausted.

A 403 of a restricted key names the Read permission it lacks and where in the Dashboard to add it;
every message is meant to be printed as it is (`str()`), and none contains the API key.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import requests


class StripeError(Exception):
    """Base class of every error this client raises; `str()` is a message meant for the user."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.param = param
        self.request_id = request_id


class StripeAuthError(StripeError):
    """401: the API key is invalid, expired or revoked."""


class StripePermissionError(StripeError):
    """403: a restricted key lacks a Read permission (`permission` names it) or account access."""

    def __init__(self, message: str, *, permission: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.permission = permission


class StripeRequestError(StripeError):
    """Any other non-retryable answer (400 invalid params, 404, ...)."""


class StripeRetryError(StripeError):
    """Retrying a retryable failure did not succeed within the policy's bounds."""


# --- 403: which dashboard permission to add -------------------------------------------------------

# Restricted-key permission tokens (as Stripe names them in 403 messages) → (dashboard row, group).
# docs/REFERENCE.md §1 lists the groups: Core, Billing, Connect.
_PERMISSIONS: dict[str, tuple[str, str]] = {
    "balance_transaction_source": ("Balance transaction sources", "Core"),
    "balance_transaction": ("Balance transaction sources", "Core"),
    "balance": ("Balance", "Core"),
    "charge": ("Charges", "Core"),
    "refund": ("Refunds", "Core"),
    "customer": ("Customers", "Core"),
    "dispute": ("Disputes", "Core"),
    "event": ("Events", "Core"),
    "payout": ("Payouts", "Core"),
    "product": ("Products", "Core"),
    "credit_note": ("Credit notes", "Billing"),
    "invoice": ("Invoices", "Billing"),
    "invoice_line_item": ("Invoices", "Billing"),
    "price": ("Prices", "Billing"),
    "plan": ("Prices", "Billing"),
    "subscription": ("Subscriptions", "Billing"),
    "subscription_item": ("Subscriptions", "Billing"),
    "account": ("All Connect resources", "Connect"),
    "connected_account": ("All Connect resources", "Connect"),
}

# Endpoint (first path segment after /v1/) → permission token, used when Stripe's 403 message
# does not name the permission.
_PATH_PERMISSION: dict[str, str] = {
    "charges": "charge",
    "refunds": "refund",
    "customers": "customer",
    "disputes": "dispute",
    "events": "event",
    "payouts": "payout",
    "products": "product",
    "balance_transactions": "balance_transaction_source",
    "credit_notes": "credit_note",
    "invoices": "invoice",
    "prices": "price",
    "plans": "plan",
    "subscriptions": "subscription",
    "subscription_items": "subscription_item",
    "accounts": "account",
}

_RAK_RE = re.compile(r"\brak_([a-z0-9_]+?)_(read|write)\b")
DASHBOARD_KEYS_PATH = "Stripe Dashboard → Developers → API keys → ⋯ next to the restricted key → Edit key"


def permission_for(token: str) -> tuple[str, str | None]:
    """`'charge'` → `('Charges', 'Core')`; unknown tokens get a readable name and no group."""
    if token in _PERMISSIONS:
        return _PERMISSIONS[token]
    return token.replace("_", " ").capitalize() + "s", None


def permission_advice(stripe_message: str, path: str) -> tuple[str, str]:
    """The permission a 403 asks for and a sentence telling the user where to add it.

    Returns `(permission label, advice)`, e.g. `("Charges: Read (Core)", "Add ...")`.
    """
    match = _RAK_RE.search(stripe_message or "")
    if match:
        token = match.group(1)
    else:
        segment = path.strip("/").split("/")[1] if path.strip("/").startswith("v1/") else path
        token = _PATH_PERMISSION.get(segment.split("/")[0], segment.split("/")[0].rstrip("s"))
    name, group = permission_for(token)
    label = f"{name}: Read" + (f" ({group})" if group else "")
    advice = (
        f"The restricted API key is missing the '{label}' permission. Add it in the "
        f"{DASHBOARD_KEYS_PATH}, set '{name}' to Read, save, and run again."
    )
    return label, advice


def error_from_response(response: requests.Response, path: str, account_id: str | None = None) -> StripeError:
    """The exception for a non-retryable answer of `GET path` (401, 403, other 4xx); `account_id`:
    the connected account the request named (Connect), for the 403 advice."""
    status = response.status_code
    err = _error_body(response)
    message = str(err.get("message") or "").strip()
    kwargs: dict[str, Any] = {
        "status": status,
        "code": err.get("code"),
        "param": err.get("param"),
        "request_id": request_id(response),
    }
    rid = f" (Request-Id {kwargs['request_id']})" if kwargs["request_id"] else ""
    if status == 401:
        return StripeAuthError(
            "Stripe rejected the API key (401): the key is invalid, expired or revoked. Set a valid "
            "secret key (sk_...) or restricted key (rk_...) in SOURCES__STRIPE__API_KEY; keys are in the "
            f"Stripe Dashboard → Developers → API keys.{rid}",
            **kwargs,
        )
    if status == 403:
        label, advice = permission_advice(message, path)
        detail = f" Stripe said: {message}" if message else ""
        if account_id and "account" in message.lower() and "rak_" not in message:
            advice = (
                f"The key has no access to the connected account {account_id} "
                "(SOURCES__STRIPE__ACCOUNT_ID). Use the platform's key, or add 'All Connect resources: "
                f"Read' (Connect) in the {DASHBOARD_KEYS_PATH}."
            )
        return StripePermissionError(
            f"Stripe refused GET {path} (403). {advice}{detail}{rid}", permission=label, **kwargs
        )
    text = message or response.reason or "no message"
    return StripeRequestError(f"Stripe GET {path} failed with HTTP {status}: {text}{rid}", **kwargs)


def request_id(response: requests.Response | None) -> str | None:
    """Stripe's `Request-Id` of an answer: support can look the request up with it."""
    if response is None:
        return None
    return response.headers.get("Request-Id")


def _error_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else {}


def error_suffix(response: requests.Response) -> str:
    """`: <Stripe's message>`, or nothing: appended to a retried failure's reason."""
    message = _error_body(response).get("message")
    return f": {message}" if message else ""
