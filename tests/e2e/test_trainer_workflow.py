"""A trainer's day, end to end, on the running product.

Shoppers write things the bot is unsure about; a trainer signs in to the console,
labels three of them in the review inbox (by click, by the search and Enter, by a
suggestion), and the examples land in the training files (a copy: ``XIAOER_TRAINING_DIR``).
Then every block of docs/trainer-guide.md is applied to the same files, and the
command line validates, trains a candidate and evaluates it (NLU and the test stories,
the guide's own included), and the candidate understands what the guide and the
trainer taught it. Training does not touch the databases, so it runs in the embedded
pass only.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from pathlib import Path
from typing import Dict

import pytest

from tests.e2e.browser import chromium
from tests.services import PYTHON, files_only
from tests.trainer.guide import apply_guide
from trainer.nlu_writer import examples_of

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Messages the trained bot reads with low confidence, each in a conversation of its own
# (two in one conversation would hand it over and the rest would go to a person).
UNSURE = {"你们是正品吗": "product_inquiry", "你们老板在吗": "greet", "怎么联系你们": "request_human"}


@pytest.fixture(scope="module")
def labelled(stack) -> Dict[str, str]:
    """The trainer's three labels, made in the browser: {text: intent}."""
    for text in UNSURE:
        assert stack.conversation(None).say(text)
    login = f"trainer-{uuid.uuid4().hex[:6]}"
    password = stack.add_agent(login, "小训", groups=(), role="trainer")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(stack.console_url + "/console/")
        page.get_by_label("登录名").fill(login)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/console/review"))            # trainers land on their inbox

        def group_of(text: str):
            item = page.locator("li.rv-item", has_text=text).first
            item.wait_for(timeout=15000)                                # the broker writes the intent
            group = page.locator("li.rv-group", has=item)
            group.click()
            return group

        texts = list(UNSURE)
        group_of(texts[0])                                              # 1: pick from the list
        page.locator(f"#rv-intents button[data-intent='{UNSURE[texts[0]]}']").click()
        page.locator(".toast", has_text="已写入").first.wait_for()
        page.screenshot(path=str(ARTIFACTS / "review-inbox.png"))

        group_of(texts[1])                                              # 2: search, Enter
        page.keyboard.press("/")
        page.locator("#rv-search").fill(UNSURE[texts[1]])
        page.locator("#rv-search").press("Enter")
        page.locator("li.rv-item", has_text=texts[1]).wait_for(state="detached")

        group = group_of(texts[2])                                      # 3: the search's first match
        page.keyboard.press("/")
        page.locator("#rv-search").fill(UNSURE[texts[2]])
        page.locator(f"#rv-intents button[data-intent='{UNSURE[texts[2]]}']").click()
        group.wait_for(state="detached")
        assert problems == []
    return UNSURE


def test_labelled_examples_land_in_the_training_files(stack, labelled):
    training = Path(stack.env["XIAOER_TRAINING_DIR"])
    for text, intent in labelled.items():
        assert text in examples_of(training, intent)


@files_only
def test_the_guide_and_the_labels_train_and_evaluate_from_the_command_line(stack, labelled):
    training = Path(stack.env["XIAOER_TRAINING_DIR"])
    apply_guide(training)

    def xiaoer(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([PYTHON, "-m", "bot.cli", *args], env=stack.env, capture_output=True,
                              text=True, timeout=1200)

    validated = xiaoer("validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    trained = xiaoer("train", "--candidate")
    assert trained.returncode == 0, trained.stdout + trained.stderr
    candidate = re.search(r"[^\s'\"]+\.tar\.gz", trained.stdout).group(0)
    evaluated = xiaoer("evaluate", "--model", candidate)
    assert evaluated.returncode == 0, evaluated.stdout + evaluated.stderr
    assert re.search(r"stories: \d+ passed, 0 failed", evaluated.stdout)

    from rasa.core.agent import Agent

    agent = Agent.load(candidate)
    parse = lambda text: asyncio.run(agent.parse_message(text))
    assert parse("今晚几点直播呀")["intent"]["name"] == "ask_live_schedule"
    store = parse("线下有没有实体店呀")
    assert store["intent"]["name"] == "faq"
    assert store["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/offline_store"
    for text, intent in labelled.items():
        assert parse(text)["intent"]["name"] == intent
