"""Typhoon and emergency alerts: finding the events an article reports, keeping each event's state
(level now, ended or not), and the notices that announce them."""

from __future__ import annotations

from bot.alerts.state import AlertQueryService, StoredAlert, detect_and_record, severity

__all__ = ["AlertQueryService", "StoredAlert", "detect_and_record", "severity"]
