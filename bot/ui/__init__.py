"""How replies look: pure builders, no database and no client.

- ``render``: replies to questions and units (embeds, topic buttons, "Was this helpful?"), sending
  a reply to an interaction or a message.
- ``buttons``: the one base for buttons (``Pressable``) and for buttons only their owner may press
  (``OwnerButton``).
- ``textsplit``: cutting long text to Discord's limits; ``sanitize``: what people type, made safe.
"""
