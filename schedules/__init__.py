"""Subscriptions, reminders, nudges and progression. Never imports discord.py or bot."""
