""" "Was this helpful?" and what the guide could not answer.

- ``store``: the question behind each answer (kept a short while, for its votes), votes, the
  unanswered questions, and the rows ``walkwell report`` reads.
- ``report``: the ``Vote`` model, question grouping and the content report's text (pure).

Imports nothing at start; import each module directly.
"""
