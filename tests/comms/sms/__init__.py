"""The GSM modem and SMS PDUs (comms/sms/)."""
