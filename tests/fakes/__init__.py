"""Stand-ins for services ThreadLab talks to, real enough for the real clients."""

from tests.fakes.openai_server import FakeOpenAI, FakeReply, Reply, echo

__all__ = ["FakeOpenAI", "FakeReply", "Reply", "echo"]
