"""A venue's refusal as a value: the rule broken plus Alpaca's answer (status, code, message and
the extra body fields it sends), convertible to the project's typed error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from framework.enums import Rule
from framework.errors import RULE_ERRORS, OrderRejected, describe_refusal

UNPROCESSABLE = 422  # Alpaca: the order itself is invalid
FORBIDDEN = 403  # Alpaca: the account cannot take the order
CODE_INVALID = 42210000
CODE_FORBIDDEN = 40310000


@dataclass(frozen=True, slots=True)
class Rejection:
    rule: Rule
    status: int
    code: int
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The JSON body Alpaca answers with."""
        return {**self.details, "code": self.code, "message": self.message}

    def error(self, action: str) -> OrderRejected:
        """The typed error an adapter raises for this refusal of ``action``."""
        cls = RULE_ERRORS[self.rule]
        text = describe_refusal(action, self.status, self.code, self.message)
        return cls(
            text, status_code=self.status, code=self.code, rule=self.rule, reason=self.message, details=self.details
        )


def invalid(rule: Rule, message: str) -> Rejection:
    return Rejection(rule, UNPROCESSABLE, CODE_INVALID, message)


def forbidden(rule: Rule, message: str, **details: Any) -> Rejection:
    return Rejection(rule, FORBIDDEN, CODE_FORBIDDEN, message, details)
