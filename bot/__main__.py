"""``python -m bot`` starts the bot, like ``walkwell run``."""

import sys

from bot.cli import main

sys.exit(main(["run"]))
