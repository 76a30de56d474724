"""newsbot: a self-hosted news-summary bot for Discord."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
