import uuid
from io import BytesIO

import pytest
from PIL import Image

from verifications import constants as vc


def test_image_code_is_a_png_whose_answer_redis_keeps_for_300_s(client, redis_conn):
    image_code_id = str(uuid.uuid4())
    response = client.get(f"/image_codes/{image_code_id}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(BytesIO(response.content)).size == (120, 48)
    assert response["Cache-Control"] == "no-store"
    answer = redis_conn.get(vc.image_code_key(image_code_id)).decode()
    assert len(answer) == 4 and all(ch in vc.IMAGE_CODE_ALPHABET for ch in answer)
    assert 290 <= redis_conn.ttl(vc.image_code_key(image_code_id)) <= 300


def test_each_fetch_draws_a_new_answer(client, redis_conn):
    image_code_id = str(uuid.uuid4())
    answers = set()
    for _ in range(5):
        client.get(f"/image_codes/{image_code_id}/")
        answers.add(redis_conn.get(vc.image_code_key(image_code_id)))
    assert len(answers) > 1


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "1234", "x" * 36])
def test_a_malformed_uuid_is_refused_and_stores_nothing(client, redis_conn, bad_id):
    response = client.get(f"/image_codes/{bad_id}/")

    assert response.status_code == 400
    assert response.json()["code"] != 0
    assert response.json()["message"] == "图形验证码标识无效"
    assert redis_conn.get(vc.image_code_key(bad_id)) is None
