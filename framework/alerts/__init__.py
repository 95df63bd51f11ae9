"""Alerts: what happened (:mod:`.alert`), where it goes (:mod:`.sinks`), delivered in the
background (:mod:`.dispatcher`), raised from the journal (:mod:`.from_journal`), wired from
config (:mod:`.service`)."""

from framework.alerts.alert import Alert, AlertKind, Severity
from framework.alerts.dispatcher import AlertDispatcher
from framework.alerts.service import Alerting, build_sinks
from framework.alerts.sinks import LogFileSink, SinkError, WebhookSink

__all__ = ["Alert", "AlertDispatcher", "AlertKind", "Alerting", "LogFileSink", "Severity", "SinkError",
           "WebhookSink", "build_sinks"]
