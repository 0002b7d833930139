"""The bot's data is consistent: what Rasa's validator checks, plus what actions utter."""

import re

import pytest
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.validator import Validator

from bot.settings import ROOT


@pytest.fixture(scope="module")
def validator():
    importer = TrainingDataImporter.load_from_config(
        config_path=str(ROOT / "config.yml"),
        domain_path=str(ROOT / "domain"),
        training_data_paths=[str(ROOT / "data")],
    )
    return Validator.from_importer(importer)


def test_domain_is_valid(validator):
    assert validator.verify_domain_validity()


def test_every_intent_is_used_and_known(validator):
    assert validator.verify_intents_in_stories(ignore_warnings=False)
    assert validator.verify_example_repetition_in_intents(ignore_warnings=False)


def test_stories_and_rules_do_not_conflict(validator):
    assert validator.verify_story_structure(ignore_warnings=False)


def test_every_response_an_action_utters_exists(validator):
    responses = set(validator.domain.responses)
    source = "\n".join(p.read_text() for p in (ROOT / "actions").glob("*.py"))
    named = set(re.findall(r'response="(utter_\w+)"', source))
    prefixed = set(re.findall(r'response=f"(utter_\w+)_\{', source))
    assert named and named <= responses
    for prefix in prefixed:
        assert any(r.startswith(prefix + "_") for r in responses), prefix


def test_held_out_examples_are_never_trained_on(validator):
    import yaml

    heldout = yaml.safe_load((ROOT / "tests/data/nlu_heldout.yml").read_text())["nlu"]
    held = {
        re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:].strip())
        for block in heldout
        for line in block.get("examples", "").splitlines()
        if line.strip()
    }
    trained = {m.get("text") for m in validator.intents.training_examples}
    assert held and not held & trained


def test_the_action_server_serves_exactly_the_domains_custom_actions(validator):
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    custom = {a for a in validator.domain.user_actions if not a.startswith("utter_")}
    assert set(executor.actions) == custom


def test_every_faq_key_has_an_answer_and_every_answer_a_key(validator):
    keys = {
        m.get("intent_response_key") for m in validator.intents.training_examples
        if m.get("intent") == "faq" and m.get("intent_response_key")
    }
    answers = {r for r in validator.domain.responses if r.startswith("utter_faq/")}
    assert {f"utter_{k}" for k in keys} == answers and len(keys) >= 30


def test_faq_answers_use_only_numbers_the_policy_provides(validator):
    from actions.faq import policy_values

    known = set(policy_values({}))
    for name, variations in validator.domain.responses.items():
        if name.startswith("utter_faq/"):
            for variation in variations:
                assert set(re.findall(r"{(\w+)}", variation["text"])) <= known, name
