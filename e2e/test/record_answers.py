"""Records the raw answers the official Python SDK receives, for openai-schema.ts to check against OpenAI's schema.

`recording_http_client()` is an `http_client` for `OpenAI(...)`: when REELGATE_ANSWERS_FILE names a file, every
JSON answer is appended to it as one JSON line (method, path, status, content_type, body), before the SDK
parses it; otherwise it is None, the SDK's own client.
"""

import json
import os

import openai


def recording_http_client():
    path = os.environ.get("REELGATE_ANSWERS_FILE")
    if not path:
        return None

    def record(response):
        content_type = response.headers.get("content-type")
        if not (content_type or "").startswith("application/json"):
            return  # bytes (a video's content): not a JSON answer, and left unread for the SDK to stream
        response.read()
        line = {
            "method": response.request.method,
            "path": response.request.url.path,
            "status": response.status_code,
            "content_type": content_type,
            "body": response.text,
        }
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(line) + "\n")

    return openai.DefaultHttpxClient(event_hooks={"response": [record]})
