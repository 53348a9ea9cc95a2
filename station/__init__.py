"""The station at work: what joins the rooms below it and runs unattended.

billing/ decides what money and meter commands follow from a reading or a sale; comms/ talks to
meters and modems; neither imports the other. This package composes them — the poller and its
store, settlement after each stored batch, the scheduler's jobs, the outbox delivery and the SMS
senders — and is used by the GUI (ui/bridge.py) and the headless service (`meterstation poll`)
alike. Nothing below it imports it.
"""
