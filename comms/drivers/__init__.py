"""One meter's protocol through its link: make_driver (factory) and one driver per
protocol; the MeterDriver interface they implement is comms/interfaces.py."""
