"""Which Stripe account a pipeline's state was built from, and the check that stops a run against another (I14).

A dlt pipeline's cursors say "everything up to here is loaded". They are only true for the account
they were built from: an incremental run with another account's key would list nothing before the
old cursors and silently mix a few new objects into the old account's tables. So every resource
state records the account (`state["account"]`, committed with the load package like the cursors),
and a run whose key reads another account stops before extracting anything (DECISIONS.md I14).

Identity: `GET /v1/account` (the platform, or the connected account named by `Stripe-Account`) and
the key's mode (test and live data of one account are disjoint). Restricted keys may not read
`/v1/account` (Stripe offers no permission for it), so the binding also keeps a witness: the id of
an object Stripe never deletes (the newest charge, else balance transaction, payout, refund,
dispute or customer). A key that cannot read the account is checked by retrieving the witness.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import dlt

from ingestion.stripe.client import StripeClient
from ingestion.stripe.errors import StripeError, StripePermissionError, StripeRequestError
from ingestion.stripe.settings import select_resources

# objects Stripe keeps forever (deleted customers are still retrieved, flagged `deleted`)
WITNESS_PATHS = (
    "/v1/charges",
    "/v1/balance_transactions",
    "/v1/payouts",
    "/v1/refunds",
    "/v1/disputes",
    "/v1/customers",
)


class AccountMismatchError(StripeError):
    """The configured key reads another Stripe account than the pipeline's state was built from."""


@dataclass(frozen=True)
class AccountBinding:
    """What a resource state records about its account."""

    account_id: str | None  # None when the key may not read /v1/account
    livemode: bool
    witness: str | None = None  # e.g. "/v1/charges/ch_1..." (None for an empty account)

    def describe(self) -> str:
        mode = "live" if self.livemode else "test"
        if self.account_id:
            return f"Stripe account {self.account_id} ({mode} mode)"
        return (
            f"the Stripe account holding {self.witness.rsplit('/', 1)[-1]} ({mode} mode)"
            if self.witness
            else (f"an unnamed Stripe account ({mode} mode)")
        )

    def as_state(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_state(cls, value: Any) -> AccountBinding | None:
        if not isinstance(value, Mapping) or "livemode" not in value:
            return None
        return cls(value.get("account_id"), bool(value["livemode"]), value.get("witness"))


def read_account_id(client: StripeClient) -> str | None:
    """The id of the account the key reads, or None when the key may not ask (restricted keys)."""
    try:
        body = client.get("/v1/account")
    except StripePermissionError:
        return None
    account_id = body.get("id")
    return account_id if isinstance(account_id, str) and account_id else None


def find_witness(client: StripeClient) -> str | None:
    """The path of one object that will exist as long as the account does, or None (empty account)."""
    for path in WITNESS_PATHS:
        try:
            page = client.list_page(path, limit=1)
        except StripePermissionError:
            continue
        for obj in page.data:
            if isinstance(obj, Mapping) and isinstance(obj.get("id"), str):
                return f"{path}/{obj['id']}"
    return None


def witness_exists(client: StripeClient, witness: str) -> bool | None:
    """Whether the witness object is in the account the key reads (None: the key may not read it)."""
    try:
        client.get(witness)
    except StripePermissionError:
        return None
    except StripeRequestError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def bind(client: StripeClient, stored: Iterable[AccountBinding], *, context: str) -> AccountBinding:
    """The binding for this run: the stored one when the key reads that account, a new one when none
    is stored. Raises `AccountMismatchError` (nothing extracted yet) when the key reads another account.

    `context` names the pipeline and tables in the message (e.g. "pipeline `stripe`, tables stripe_raw.*")."""
    livemode = not client.is_test_mode
    account_id = read_account_id(client)
    previous = list(dict.fromkeys(stored))
    for binding in previous:
        other = _differs(client, binding, account_id, livemode)
        if other is not None:
            raise AccountMismatchError(_mismatch_message(binding, other, context))
    if previous:
        kept = previous[0]
        if kept.account_id is None and account_id is not None:
            return AccountBinding(account_id, livemode, kept.witness)  # learnt the name with a secret key
        if kept.account_id is None and kept.witness is None:
            return AccountBinding(None, livemode, find_witness(client))  # the account was empty so far
        return kept
    return AccountBinding(account_id, livemode, find_witness(client))


def bind_account(client: StripeClient, prefix: str, replaced: set[str]) -> AccountBinding:
    """The account this run's resource states record, checked against the states of the tables of
    `prefix` in the running dlt source (except the `replaced` ones, which a full refresh drops);
    raises `AccountMismatchError` when the key reads another account."""
    states = dlt.current.source_state().get("resources", {})
    own = {prefix + spec.name for spec in select_resources(None, prefix)}
    stored = [
        binding
        for name, state in states.items()
        if name in own and name not in replaced
        for binding in [AccountBinding.from_state((state or {}).get("account"))]
        if binding is not None
    ]
    pipeline = dlt.current.pipeline()
    context = f"tables {pipeline.dataset_name}.{prefix or ''}* of pipeline `{pipeline.pipeline_name}`"
    return bind(client, stored, context=context)


def _differs(
    client: StripeClient, binding: AccountBinding, account_id: str | None, livemode: bool
) -> AccountBinding | None:
    """The key's account when it is not `binding`'s, else None."""
    current = AccountBinding(account_id, livemode)
    if binding.livemode != livemode:
        return current
    if binding.account_id and account_id:
        return current if binding.account_id != account_id else None
    if binding.witness and witness_exists(client, binding.witness) is False:
        return current
    return None  # nothing tells them apart: an empty account, or a key that can read neither


def _mismatch_message(stored: AccountBinding, current: AccountBinding, context: str) -> str:
    mode_note = ""
    if stored.livemode != current.livemode:
        mode_note = " Test-mode and live-mode data of one account are separate datasets."
    return (
        f"The {context} hold data of {stored.describe()}, but the configured API key reads "
        f"{current.describe()}. Nothing was loaded: an incremental run would start from the other "
        f"account's cursors and silently miss this account's history.{mode_note} Choose one: "
        "(1) load it beside the other with its own table prefix (SOURCES__STRIPE__TABLE_PREFIX=acme_, "
        "then add the prefix to the dbt var stripe_sources); "
        "(2) load it into another warehouse with its own pipeline (DUCKDB_PATH=... and --pipeline-name ...); "
        "(3) replace the loaded data with this account's: run again with --full-refresh."
    )
