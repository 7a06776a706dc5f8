"""The guide as validated data, and the answering engine. Never imports discord.py or bot."""
