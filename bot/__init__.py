"""The Discord layer of WalkWell. Importing this package does not import discord.py."""
