"""JSON responses with readable Chinese.

Sanic's default encoder escapes every non-ASCII character; shoppers' names and
tracking descriptions are far easier to debug with curl when left as UTF-8.
The encoder is passed per response because Sanic's app-level ``dumps``
setting is process-global and would leak into other apps (such as Rasa's).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any, Mapping, Optional

from sanic.response import HTTPResponse
from sanic.response import json as sanic_json

_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def json_response(
    body: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None
) -> HTTPResponse:
    return sanic_json(body, status=status, headers=dict(headers or {}), dumps=_dumps)
