"""Plan → readable, commented Python. Deterministic: the same plan gives the same code."""

from bot.codegen.render import generate_code, sandbox_input_name, user_code

__all__ = ["generate_code", "sandbox_input_name", "user_code"]
