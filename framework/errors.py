"""The project's exception tree.

Everything the project raises on purpose derives from :class:`TradeError`::

    TradeError
    ├── UserError                 a person must fix something; the CLI prints one line, exit 2
    │   ├── ConfigError           bad YAML, unknown key, wrong type, out-of-range value
    │   ├── DataError             unreadable or invalid price / sector file
    │   ├── InputError            bad command-line input (symbol, dates, run folder, ...)
    │   ├── InvalidOrder          an order that fails validation
    │   ├── ArtifactError         a model artifact that is missing or does not match the code
    │   └── LiveTradingRefused    a live endpoint without `allow_live: true`
    ├── StrategyError             a strategy plugin raised or returned something invalid
    ├── InternalError             an invariant of the core broke: a bug to report (exit 1, with context)
    ├── IllegalTransition         an order status step outside the transition table
    ├── HaltedError               trading is halted; only risk-reducing orders may go out
    ├── ReconciliationError       broker and journal disagree in a way we will not trade through
    └── BrokerError               trouble talking to a broker (keeps HTTP status / vendor code)
        ├── TransientBrokerError  worth a retry (after a look-up by client order id)
        │   ├── RateLimited       HTTP 429; `retry_after` seconds when the broker said so
        │   ├── BrokerUnavailable HTTP 5xx, connection refused/reset
        │   └── BrokerTimeout     no answer in time: the request may or may not have landed
        └── PermanentBrokerError  retrying will not help
            ├── OrderRejected     the broker refused the order; `rule`, `reason` (its words), `details`
            │   ├── ExtendedHoursRefused      extended_hours on a non-DAY-limit  Rule.EXTENDED_HOURS
            │   ├── InvalidPriceIncrement     sub-penny limit/stop price         Rule.PRICE_INCREMENT
            │   ├── AuctionClosed             opg/cls after its auction's cut-off Rule.AUCTION_WINDOW
            │   ├── FractionalNotAllowed      a fractional order it refuses      Rule.FRACTIONAL
            │   ├── NotShortable              a short it cannot open             Rule.SHORTABLE
            │   ├── InsufficientQtyAvailable  shares held for orders; long→short Rule.QTY_AVAILABLE,
            │   │                                                                Rule.LONG_TO_SHORT
            │   ├── BelowMinimumOrder         a buy under $1 of cost basis       Rule.MINIMUM_ORDER
            │   └── InsufficientBuyingPower   more than the buying power left    Rule.BUYING_POWER
            ├── OrderNotFound     unknown order id / client order id
            ├── DuplicateClientOrderId
            ├── NotCancelable
            └── AuthenticationError

Vendor errors are translated with ``raise ... from e`` in the adapter that saw them.
"""

from __future__ import annotations

from collections.abc import Mapping

from framework.enums import Rule


class TradeError(Exception):
    """Root of every error the project raises on purpose."""


class UserError(TradeError):
    """Something a person must fix; reported as one line with exit code 2."""

    exit_code = 2


class ConfigError(UserError):
    """A configuration file or value is invalid."""


class DataError(UserError):
    """A price or sector file is unreadable or fails validation."""


class InputError(UserError):
    """Command-line input is invalid (unknown symbol, empty date range, ...)."""


class InvalidOrder(UserError, ValueError):
    """An order failed validation on construction."""


class ArtifactError(UserError):
    """A model artifact is missing, unreadable or does not match the code."""


class LiveTradingRefused(UserError):
    """A live-trading endpoint was configured without an explicit `allow_live: true`."""


class StrategyError(TradeError):
    """A strategy plugin raised, or returned signals that break the contract."""


class InternalError(TradeError):
    """An invariant of the core broke (e.g. an order without a finite price reached the order
    stage): a bug, never the user's mistake; the CLI exits 1 with the context."""


class IllegalTransition(TradeError):
    """An order status change that the transition table does not allow."""


class HaltedError(TradeError):
    """Trading is halted; clearing the halt is an explicit act (`trade resume`)."""


class ReconciliationError(TradeError):
    """Broker and journal disagree in a way the runner refuses to trade through."""


class BrokerError(TradeError):
    """A broker call failed. Keeps the HTTP status and the vendor's error code when known."""

    def __init__(
        self, message: str, *, status_code: int | None = None, code: int | str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code


class TransientBrokerError(BrokerError):
    """Worth retrying, but only after looking the order up by its client order id."""


class RateLimited(TransientBrokerError):
    """HTTP 429."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class BrokerUnavailable(TransientBrokerError):
    """HTTP 5xx or a refused/reset connection."""


class BrokerTimeout(TransientBrokerError):
    """No answer in time: the request may or may not have reached the broker."""


class PermanentBrokerError(BrokerError):
    """Retrying will not help."""


def describe_refusal(action: str, status: int | None, code: int | str | None, message: str) -> str:
    """The one wording of a venue's refusal, so the simulator and the Alpaca adapter raise the
    very same text for the same answer."""
    return f"{action}: HTTP {status} (code {code}): {message}"


class OrderRejected(PermanentBrokerError):
    """The broker refused the order.

    ``rule``: the venue rule it broke, when known; ``reason``: the venue's own message;
    ``details``: the extra fields of its answer (``held_for_orders``, ``buying_power``, ...).
    """

    rule: Rule | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: int | str | None = None,
        rule: Rule | None = None,
        reason: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code)
        if rule is not None:
            self.rule = rule
        self.reason = message if reason is None else reason
        self.details = dict(details or {})


class ExtendedHoursRefused(OrderRejected):
    """``extended_hours`` on an order other than a DAY limit (framework.venue.extended)."""

    rule = Rule.EXTENDED_HOURS


class InvalidPriceIncrement(OrderRejected):
    """A limit or stop price finer than the venue's increment (sub-penny)."""

    rule = Rule.PRICE_INCREMENT


class AuctionClosed(OrderRejected):
    """An on-open (``opg``) or on-close (``cls``) order sent after its auction's cut-off."""

    rule = Rule.AUCTION_WINDOW


class FractionalNotAllowed(OrderRejected):
    """A fractional order outside what the venue accepts (DAY only, simple types, never short)."""

    rule = Rule.FRACTIONAL


class NotShortable(OrderRejected):
    """A short the account (no margin, equity under $2,000) or the asset cannot open."""

    rule = Rule.SHORTABLE


class InsufficientQtyAvailable(OrderRejected):
    """A sell beyond the shares not held for open orders, or one going from long to short."""

    rule = Rule.QTY_AVAILABLE


class BelowMinimumOrder(OrderRejected):
    """A buy under the venue's minimum cost basis."""

    rule = Rule.MINIMUM_ORDER


class InsufficientBuyingPower(OrderRejected):
    """More than the buying power the venue grants at submission."""

    rule = Rule.BUYING_POWER


#: The typed error each venue rule raises.
RULE_ERRORS: dict[Rule, type[OrderRejected]] = {
    Rule.EXTENDED_HOURS: ExtendedHoursRefused,
    Rule.PRICE_INCREMENT: InvalidPriceIncrement,
    Rule.AUCTION_WINDOW: AuctionClosed,
    Rule.FRACTIONAL: FractionalNotAllowed,
    Rule.SHORTABLE: NotShortable,
    Rule.LONG_TO_SHORT: InsufficientQtyAvailable,
    Rule.QTY_AVAILABLE: InsufficientQtyAvailable,
    Rule.MINIMUM_ORDER: BelowMinimumOrder,
    Rule.BUYING_POWER: InsufficientBuyingPower,
}


class OrderNotFound(PermanentBrokerError):
    """Unknown order id or client order id."""


class DuplicateClientOrderId(PermanentBrokerError):
    """The client order id was used before on this account."""


class NotCancelable(PermanentBrokerError):
    """The order can no longer be canceled (already filled, canceled, ...)."""


class AuthenticationError(PermanentBrokerError):
    """The broker refused the API keys."""
