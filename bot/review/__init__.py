"""The code policy: an AST pass that says whether generated code may run.

It is one layer, not the wall: the sandbox must contain the code even when this
review is fooled. See `policy.py` for the lists and the decisions behind them.
"""

from bot.review.result import Finding, ReviewResult, Status
from bot.review.review import review

__all__ = ["Finding", "ReviewResult", "Status", "review"]
