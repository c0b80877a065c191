"""Typhoon and emergency alerts: finding the events an article reports, keeping each event's state
(level now, ended or not), and the notices that announce them."""
