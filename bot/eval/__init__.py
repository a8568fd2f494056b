"""The evaluation harness: question sets in the InfiAgent-DABench layout, run through
the whole pipeline and scored on `@name[value]` answers.

`dataset` reads a question set, `scoring` compares one answer with its labels,
`runner` asks each question, `report` adds the results up, and `silent` adapts the
pipeline to the runner (a Reply that shows nothing).
"""

from bot.eval.dataset import EvalQuestion, load
from bot.eval.report import Accuracy, EvalReport, QuestionResult
from bot.eval.runner import build_prompt, run_eval
from bot.eval.scoring import LabelResult, QuestionScore, match, parse_answers, score
from bot.eval.silent import SilentReply, pipeline_asker

__all__ = [
    "Accuracy",
    "EvalQuestion",
    "EvalReport",
    "LabelResult",
    "QuestionResult",
    "QuestionScore",
    "SilentReply",
    "build_prompt",
    "load",
    "match",
    "parse_answers",
    "pipeline_asker",
    "run_eval",
    "score",
]
