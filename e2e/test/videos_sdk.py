"""Runs every `videos.*` method of the official Python SDK against Reelgate's default channel (the simulator, `openai` shape).

Called by videos-python.e2e.test.ts with REELGATE_BASE_URL and REELGATE_API_KEY (and REELGATE_ANSWERS_FILE, see
record_answers.py); prints one JSON object of what it saw on its last line and exits 0, or raises (exit 1) at the
first thing that is not as expected. Every answer is parsed by the SDK into its own pydantic models (Video,
VideoCreateCharacterResponse, ...); the checks are on those models' fields.
"""

import json
import os
import sys
import threading

import openai
from openai import NotFoundError, OpenAI
from openai.types import Video, VideoCreateCharacterResponse, VideoDeleteResponse, VideoGetCharacterResponse
from record_answers import recording_http_client

# The SDK's `poll` loops until the job ends; a job that never ends must fail here, not hang the suite.
POLL_DEADLINE_S = 60.0


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def bounded(what, call):
    """`call()` (an SDK helper that waits until the job ends, as each answer's `openai-poll-after-ms` says), with a deadline."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except Exception as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(POLL_DEADLINE_S)
    if "error" in outcome:
        raise outcome["error"]
    check("value" in outcome, f"{what} did not end within {POLL_DEADLINE_S} s")
    return outcome["value"]


def poll(client, video_id):
    return bounded(f"poll of {video_id}", lambda: client.videos.poll(video_id))


def main():
    client = OpenAI(
        api_key=os.environ["REELGATE_API_KEY"],
        base_url=os.environ["REELGATE_BASE_URL"],
        max_retries=0,
        timeout=10.0,
        http_client=recording_http_client(),
    )
    seen = {"sdk_version": openai.__version__}

    created = client.videos.create(prompt="python source", seconds="8")
    check(isinstance(created, Video) and created.status == "queued" and created.seconds == "8", f"create: {created}")
    source = poll(client, created.id)
    check(source.status == "completed" and source.progress == 100, f"poll: {source}")
    retrieved = client.videos.retrieve(created.id)
    check(isinstance(retrieved, Video) and retrieved.id == created.id, f"retrieve: {retrieved}")

    polled = bounded("create_and_poll", lambda: client.videos.create_and_poll(prompt="python create_and_poll", seconds="4"))
    check(polled.status == "completed" and polled.seconds == "4", f"create_and_poll: {polled}")

    listed = [video.id for video in client.videos.list(limit=1)]  # auto-paging, one per page
    check(listed == [polled.id, created.id], f"list across pages: {listed}")

    remix = client.videos.remix(created.id, prompt="now at night")
    check(remix.remixed_from_video_id == created.id, f"remix: {remix}")
    check(poll(client, remix.id).status == "completed", "remix: completed")

    content = client.videos.download_content(created.id)
    check(content.response.headers.get("content-type") == "video/mp4", "download_content: an mp4")
    mp4 = content.read()
    check(len(mp4) > 0, "download_content: bytes")
    thumbnail = client.videos.download_content(created.id, variant="thumbnail")
    check(thumbnail.response.headers.get("content-type") == "image/png", "download_content: a thumbnail")

    # `videos.edit`/`videos.extend` with `video={"id": ...}` fail inside SDK 3.22 before anything is sent
    # (extract_files wants a file at `video`), so the methods take the completed video's own mp4 as an upload,
    # and the `{id}` form goes through the SDK's generic `post`, parsed into the same `Video` model.
    edit = client.videos.edit(prompt="make it blue", video=("source.mp4", mp4, "video/mp4"))
    check(isinstance(edit, Video) and edit.id != created.id and edit.status == "queued", f"edit: {edit}")
    edited = poll(client, edit.id)
    check(edited.status == "completed", f"edit: {edited}")
    by_id = client.post("/videos/edits", body={"prompt": "make it red", "video": {"id": created.id}}, cast_to=Video)
    check(isinstance(by_id, Video) and by_id.seconds == "8", f"edit of {{id}}: {by_id}")
    edited_by_id = poll(client, by_id.id)
    check(edited_by_id.status == "completed" and edited_by_id.seconds == "8", f"edit of {{id}}: {edited_by_id}")
    seen["edit"] = {"status": edited_by_id.status, "seconds": edited_by_id.seconds, "upload_status": edited.status}

    extension = client.videos.extend(prompt="and then", seconds="4", video=("source.mp4", mp4, "video/mp4"))
    check(isinstance(extension, Video) and extension.status == "queued", f"extend: {extension}")
    extended = poll(client, extension.id)
    check(extended.status == "completed", f"extend: {extended}")
    body = {"prompt": "and then night falls", "seconds": "4", "video": {"id": created.id}}
    extension_by_id = client.post("/videos/extensions", body=body, cast_to=Video)
    check(extension_by_id.seconds == "12", f"extend of {{id}}: the stitched total, {extension_by_id}")
    extended_by_id = poll(client, extension_by_id.id)
    check(extended_by_id.status == "completed", f"extend of {{id}}: {extended_by_id}")
    seen["extension"] = {
        "status": extended_by_id.status,
        "seconds": extended_by_id.seconds,
        "upload_status": extended.status,
        "upload_seconds": extended.seconds,
    }

    character = client.videos.create_character(name="Ada", video=("ada.mp4", mp4, "video/mp4"))
    check(isinstance(character, VideoCreateCharacterResponse), f"create_character: {type(character)}")
    check(character.id.startswith("char_") and character.name == "Ada", f"create_character: {character}")
    check(isinstance(character.created_at, int), f"create_character: created_at {character.created_at}")
    fetched = client.videos.get_character(character.id)
    check(isinstance(fetched, VideoGetCharacterResponse), f"get_character: {type(fetched)}")
    check(fetched.model_dump() == character.model_dump(), f"get_character: {fetched} != {character}")
    seen["character"] = {"name": fetched.name, "same": True}
    try:
        client.videos.get_character("char_unknown")
        raise AssertionError("an unknown character was found")
    except NotFoundError:
        seen["unknown_character_is_404"] = True

    deleted = client.videos.delete(remix.id)
    check(isinstance(deleted, VideoDeleteResponse) and deleted.deleted and deleted.id == remix.id, f"delete: {deleted}")
    try:
        client.videos.retrieve(remix.id)
        raise AssertionError("a deleted video was still there")
    except NotFoundError:
        seen["deleted_is_404"] = True

    print(json.dumps(seen))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one line for the test's message
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
