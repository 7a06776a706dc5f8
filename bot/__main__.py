"""``python -m bot`` starts the bot, like ``walkwell run``; ``python -m bot SUBCOMMAND`` runs any other."""

import sys

from bot.cli import main

sys.exit(main(sys.argv[1:] or ["run"]))
