"""Runs every `webhooks.*` method of the official Python SDK against Reelgate, with a receiver of its own.

Called by webhooks-python.e2e.test.ts with REELGATE_BASE_URL and REELGATE_API_KEY; prints one JSON object
of what it saw on its last line and exits 0, or raises (exit 1) at the first thing that is not as expected.
"""

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openai
from openai import InvalidWebhookSignatureError, NotFoundError, OpenAI
from record_answers import recording_http_client

received = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode("utf-8")
        received.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def wait_for(what, probe, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    client = OpenAI(
        api_key=os.environ["REELGATE_API_KEY"],
        base_url=os.environ["REELGATE_BASE_URL"],
        max_retries=0,
        http_client=recording_http_client(),
    )
    seen = {"sdk_version": openai.__version__}

    types = client.webhooks.event_types.list()
    seen["event_types"] = types.data

    endpoint = client.webhooks.create(name="py", url=f"{base}/py", event_types=["video.completed", "video.failed"])
    check(endpoint.id.startswith("whe_") and endpoint.signing_secret.startswith("whsec_"), f"create: {endpoint}")
    other = client.webhooks.create(name="py-2", url=f"{base}/other", event_types=["video.failed"])

    retrieved = client.webhooks.retrieve(endpoint.id)
    check(retrieved.url == f"{base}/py" and retrieved.object == "webhook_endpoint", f"retrieve: {retrieved}")

    ids = [item.id for item in client.webhooks.list(limit=1)]
    check(sorted(ids) == sorted([endpoint.id, other.id]), f"list across pages: {ids}")
    first_page = client.webhooks.list(limit=1)
    check(first_page.has_more and len(first_page.data) == 1, "list: one per page")

    updated = client.webhooks.update(other.id, name="renamed")
    check(updated.name == "renamed", f"update: {updated}")

    tested = client.webhooks.test(endpoint.id, event_type="video.completed")
    check(tested.status_code == 200 and tested.success is True, f"test: {tested}")
    sample = received[-1]
    event = client.webhooks.unwrap(sample["body"], sample["headers"], secret=endpoint.signing_secret)
    check(event.type == "video.completed", f"unwrap of the test delivery: {event}")

    video = client.videos.create(prompt="python webhooks", seconds="4")
    delivery = wait_for(
        "the video's event",
        lambda: next((r for r in received if r["path"] == "/py" and json.loads(r["body"])["data"]["id"] == video.id), None),
    )
    check(client.videos.retrieve(video.id).status == "completed", "the video's GET answers completed")
    real = client.webhooks.unwrap(delivery["body"], delivery["headers"], secret=endpoint.signing_secret)
    check(real.type == "video.completed" and real.data.id == video.id, f"unwrap of the delivery: {real}")
    seen["delivered_type"] = real.type
    try:
        client.webhooks.unwrap(delivery["body"].replace(video.id, "video_x"), delivery["headers"], secret=endpoint.signing_secret)
        raise AssertionError("a tampered delivery was accepted")
    except InvalidWebhookSignatureError:
        seen["tampered_refused"] = True

    rotated = client.webhooks.rotate_secret(endpoint.id, keep_old_secret_active_for_24_hours=True)
    check(rotated.signing_secret != endpoint.signing_secret, "rotate: a new secret")
    client.webhooks.test(endpoint.id, event_type="video.failed")
    overlap = received[-1]
    for secret in (endpoint.signing_secret, rotated.signing_secret):
        client.webhooks.verify_signature(overlap["body"], overlap["headers"], secret=secret)
    seen["overlap_verified"] = 2

    deleted = client.webhooks.delete(other.id)
    check(deleted.deleted is True and deleted.id == other.id, f"delete: {deleted}")
    try:
        client.webhooks.retrieve(other.id)
        raise AssertionError("a deleted endpoint was still there")
    except NotFoundError:
        seen["deleted_is_404"] = True

    server.shutdown()
    print(json.dumps(seen))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one line for the test's message
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
