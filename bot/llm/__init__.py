"""The LLM: one client for any OpenAI-compatible endpoint, with retries and a breaker."""

from bot.llm.client import JSON_MODES, LlmCall, LlmClient, LlmUnavailable
from bot.llm.jsontext import extract_json

__all__ = ["JSON_MODES", "LlmCall", "LlmClient", "LlmUnavailable", "extract_json"]
