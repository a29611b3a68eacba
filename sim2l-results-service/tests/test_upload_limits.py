"""The upload size cap: 413, whether the length is declared or the body is streamed."""

import os

import pytest
import requests
from runfiles import make_run
from sim2l_results_client import PayloadTooLargeError
from test_hostile_uploads import _stored_nothing


@pytest.fixture
def app_config(app_config):
    """A small upload limit, so oversized uploads are cheap to send."""
    return {**app_config, "max_upload_bytes": 256 * 1024}


def test_oversized_upload_is_413(client, url, tokens, tmp_path, storage_dir):
    path = make_run(
        tmp_path, "run-large", {"x": 1}, {"y": 2}, artifacts={"blob.bin": os.urandom(400 * 1024)}
    )
    with pytest.raises(PayloadTooLargeError) as refused:
        client.register_result(path)
    assert refused.value.status == 413

    # without a declared length (chunked), the streamed count stops it too
    def chunks():
        with open(path, "rb") as stream:
            while block := stream.read(64 * 1024):
                yield block

    response = requests.post(
        url + "/results",
        params={"execution_id": "run-large"},
        data=chunks(),
        headers={"X-Session-ID": tokens["user"], "Content-Type": "application/vnd.sqlite3"},
        timeout=30,
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    _stored_nothing(client, storage_dir, "run-large")
