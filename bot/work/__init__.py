"""Units of work and their scheduling: polls, deliveries and digests."""
