"""`python -m bot`: the same entry point as the installed `newsbot` command."""

import sys

from bot.cli import main

sys.exit(main())
