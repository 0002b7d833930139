"""Two measured hot spots of Rasa 3.6's turn, removed without changing what Rasa does.

Profiled with py-spy on a Rasa process serving one REST shopper at a time (the
benchmark's mix, ``xiaoer benchmark``), the main thread was busy 91 % of the time and:

- 53 % of it went to ``RemoteAction._validate_action_result``: it calls
  ``jsonschema.validate(result, schema)``, which first checks the *schema* against
  the 2020-12 metaschema, on every action server answer. Here the schema is compiled
  once into a validator and each answer is checked against it, exactly as before
  (same schema, same draft, same error).
- 7 % went to ``rasa.shared.utils.common.all_subclasses``, which walks the whole
  ``Event`` class tree again for every event a tracker store loads. The tree does not
  change once Rasa runs, so its result is kept per class.

``install()`` is idempotent; the channels call it when Rasa creates them, so every
serving Rasa process has it, and training and the tests' own agents are untouched
unless they ask.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, List, Text, Type

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _compile_action_result_schema()
    _cache_event_subclasses()


def _compile_action_result_schema() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)       # what jsonschema.validate() would pick
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError as e:
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    RemoteAction._validate_action_result = _validate_action_result


def _cache_event_subclasses() -> None:
    import rasa.shared.utils.common as common

    original = common.all_subclasses

    @functools.lru_cache(maxsize=None)
    def cached(cls: Type[Any]) -> List[Type[Any]]:
        return original(cls)

    def all_subclasses(cls: Type[Any]) -> List[Type[Any]]:
        return list(cached(cls))

    common.all_subclasses = all_subclasses      # rasa.shared.core.events looks it up here
